/**
 * The WCPAC primitives both sides use (docs/protocol.md §5–§7): the report
 * data, the signed bundle-key message, key wrapping and the sealed bundle.
 * Node built-ins only: the provisioner is bundled with this file into the one
 * file a TEE measures (src/tee/provisioner-bundle.ts), and the master imports
 * it directly — the master never imports the worker.
 */
import { createCipheriv, createDecipheriv, createHash, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

export const PROTOCOL = 'sealflow-wcpac-v1';
export const LABEL_BUNDLE_KEY = 'sealflow-wcpac-v1/bundle-key';
/** §7.1: the label of a release's one derived key (all of a step's file keys under one exchange). */
export const LABEL_FILE_KEYS = 'sealflow-wcpac-v1/file-keys';
export const BUNDLE_AAD = 'sealflow-bundle-v1';
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

/** A refusal: `reason` is stable (docs/protocol.md), the message is for people. */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** `lp(x)`: 4-byte big-endian length, then the bytes. */
export function lengthPrefixed(fields: readonly (string | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fields) {
    const b = typeof f === 'string' ? Buffer.from(f, 'utf8') : Buffer.from(f);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    parts.push(len, b);
  }
  return Buffer.concat(parts);
}

/** §5: the 64-byte report data binding run, slot, challenge and both public keys. */
export function reportData(runId: string, slot: string, challenge: Uint8Array, x25519: Uint8Array, identitySpki: Uint8Array): Buffer {
  return createHash('sha512').update(lengthPrefixed([PROTOCOL, runId, slot, challenge, x25519, identitySpki])).digest();
}

/** §6: the bytes the master signs in the bundle-key message. */
export function bundleKeyMessage(runId: string, slot: string, challenge: Uint8Array, bundleSha256: Uint8Array, wrappedKey: Uint8Array): Buffer {
  return lengthPrefixed([LABEL_BUNDLE_KEY, runId, slot, challenge, bundleSha256, wrappedKey]);
}

/**
 * Raw X25519 public keys go in as JWK (RFC 8037 OKP): OpenSSL's raw-key call, ~8× faster than its DER
 * decoder. They come out as DER: Node 20's JWK export holds the key's mutex while it allocates, and a
 * garbage collection then (destroying the key's generating job, which takes the same mutex) deadlocks.
 */
function x25519Public(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new ProvisionError('bad-public-key', 'an X25519 public key is 32 bytes');
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/** RFC 7748 §6.1: the public key is X25519(k, 9) — one scalar multiplication, about half of OpenSSL's DER export. */
let basePoint: KeyObject | undefined;
const ownPublic = new WeakMap<KeyObject, Buffer>();

export function x25519Raw(key: KeyObject): Buffer {
  if (key.type === 'public') return key.export({ type: 'spki', format: 'der' }).subarray(X25519_SPKI_PREFIX.length);
  let raw = ownPublic.get(key);
  if (raw === undefined) {
    basePoint ??= x25519Public(Buffer.concat([Buffer.from([9]), Buffer.alloc(31)]));
    raw = diffieHellman({ privateKey: key, publicKey: basePoint });
    ownPublic.set(key, raw);
  }
  return Buffer.from(raw);
}

function aead(key: Uint8Array, nonce: Uint8Array, data: Uint8Array, open: boolean, aad?: string): Buffer {
  if (!open) {
    const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    if (aad !== undefined) c.setAAD(Buffer.from(aad), { plaintextLength: data.length });
    return Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
  }
  if (data.length < 16) throw new ProvisionError('bad-ciphertext', 'ciphertext too short');
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  if (aad !== undefined) d.setAAD(Buffer.from(aad), { plaintextLength: data.length - 16 });
  d.setAuthTag(data.subarray(data.length - 16));
  try {
    return Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]);
  } catch {
    throw new ProvisionError('bad-ciphertext', 'ciphertext does not authenticate');
  }
}

/** §7: wrap `secret` to an X25519 public key (age's X25519 stanza construction, sealflow label). */
export function wrapKey(recipient: Uint8Array, label: string, secret: Uint8Array): Buffer {
  const eph = generateKeyPairSync('x25519');
  const share = x25519Raw(eph.privateKey);
  const s = diffieHellman({ privateKey: eph.privateKey, publicKey: x25519Public(recipient) });
  if (s.every((b) => b === 0)) throw new ProvisionError('bad-public-key', 'low-order X25519 key');
  const k = Buffer.from(hkdfSync('sha256', s, Buffer.concat([share, recipient]), label, 32));
  return Buffer.concat([share, aead(k, Buffer.alloc(12), secret, false)]);
}

/** §7.1: a batch entry is nonce (12) ‖ ChaCha20-Poly1305 of the 16-byte file key (16 + tag 16). */
export const BATCH_ENTRY_BYTES = 12 + 16 + 16;

/** §7.1: the associated data of one entry: it binds the key to the step attempt and to the ciphertext it opens. */
function batchAad(step: string, sha256: string): Buffer {
  return lengthPrefixed([LABEL_FILE_KEYS, step, sha256.toLowerCase()]);
}

/** §7.1: `K = HKDF-SHA-256(ikm = X25519(private, public), salt = E ‖ R, info = file-keys)`; `reason` if the exchange is all-zero. */
function batchKey(privateKey: KeyObject, publicKey: Uint8Array, share: Uint8Array, recipient: Uint8Array, reason: string): Buffer {
  let s: Buffer;
  try {
    s = diffieHellman({ privateKey, publicKey: x25519Public(publicKey) });
  } catch {
    throw new ProvisionError(reason, 'low-order X25519 key'); // OpenSSL refuses an all-zero result itself
  }
  if (s.every((b) => b === 0)) throw new ProvisionError(reason, 'low-order X25519 key');
  const key = Buffer.from(hkdfSync('sha256', s, Buffer.concat([share, recipient]), LABEL_FILE_KEYS, 32));
  s.fill(0);
  return key;
}

/** A release's sealer (§7.1): one ephemeral key and one derivation, then one AEAD per file key. */
export interface FileKeySealer {
  /** E, the ephemeral public key the worker needs (32 bytes). */
  readonly share: Buffer;
  /** The entry for one file key of `step`, bound to its recorded ciphertext hash. */
  seal(step: string, sha256: string, fileKey: Uint8Array): Buffer;
  /** Zeroes the derived key. */
  dispose(): void;
}

/** §7.1: starts a release's batch to the worker's X25519 key `recipient`; nonces count up from 0 (one key per release, never reused). */
export function fileKeySealer(recipient: Uint8Array): FileKeySealer {
  if (recipient.length !== 32) throw new ProvisionError('bad-public-key', 'an X25519 public key is 32 bytes');
  const eph = generateKeyPairSync('x25519');
  const share = x25519Raw(eph.privateKey);
  const key = batchKey(eph.privateKey, recipient, share, recipient, 'bad-public-key');
  let n = 0;
  return {
    share,
    seal(step, sha256, fileKey) {
      const nonce = Buffer.alloc(12);
      nonce.writeUIntBE(n++, 6, 6);
      const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
      c.setAAD(batchAad(step, sha256), { plaintextLength: fileKey.length });
      return Buffer.concat([nonce, c.update(fileKey), c.final(), c.getAuthTag()]);
    },
    dispose: () => key.fill(0),
  };
}

/** A release's opener on the worker (§7.1): one exchange for the whole batch. */
export interface FileKeyOpener {
  /** The 16-byte file key of `step`'s input whose ciphertext the master recorded as `sha256`; `bad-ciphertext` if the entry does not authenticate for exactly that. */
  open(step: string, sha256: string, entry: Uint8Array): Buffer;
  dispose(): void;
}

/**
 * §7.1: opens a batch with the key-receiving key. `entries` are all of the
 * batch's entries: each must be 44 bytes and no nonce may repeat (the master
 * never repeats one), else `bad-batch` before anything is opened.
 */
export function fileKeyOpener(privateKey: KeyObject, share: Uint8Array, entries: readonly Uint8Array[]): FileKeyOpener {
  if (share.length !== 32) throw new ProvisionError('bad-batch', `the release's key share is ${share.length} bytes, not 32`);
  const nonces = new Set<string>();
  for (const e of entries) {
    if (e.length !== BATCH_ENTRY_BYTES) throw new ProvisionError('bad-batch', `a released key is ${e.length} bytes, not ${BATCH_ENTRY_BYTES}`);
    const nonce = Buffer.from(e.subarray(0, 12)).toString('hex');
    if (nonces.has(nonce)) throw new ProvisionError('bad-batch', 'two released keys share a nonce');
    nonces.add(nonce);
  }
  const key = batchKey(privateKey, share, share, x25519Raw(privateKey), 'bad-batch');
  return {
    open(step, sha256, entry) {
      if (entry.length !== BATCH_ENTRY_BYTES) throw new ProvisionError('bad-batch', `a released key is ${entry.length} bytes, not ${BATCH_ENTRY_BYTES}`);
      const d = createDecipheriv('chacha20-poly1305', key, entry.subarray(0, 12), { authTagLength: 16 });
      d.setAAD(batchAad(step, sha256), { plaintextLength: 16 });
      d.setAuthTag(entry.subarray(28));
      try {
        return Buffer.concat([d.update(entry.subarray(12, 28)), d.final()]);
      } catch {
        throw new ProvisionError('bad-ciphertext', `the released key for ${sha256} does not authenticate for step ${step}`);
      }
    },
    dispose: () => key.fill(0),
  };
}

/** §7: unwrap with the private key; throws `bad-ciphertext` if it does not authenticate. */
export function unwrapKey(privateKey: KeyObject, label: string, wrapped: Uint8Array): Buffer {
  if (wrapped.length < 32 + 16) throw new ProvisionError('bad-ciphertext', 'wrapped key too short');
  const share = wrapped.subarray(0, 32);
  const s = diffieHellman({ privateKey, publicKey: x25519Public(share) });
  if (s.every((b) => b === 0)) throw new ProvisionError('bad-ciphertext', 'low-order share');
  const k = Buffer.from(hkdfSync('sha256', s, Buffer.concat([share, x25519Raw(privateKey)]), label, 32));
  return aead(k, Buffer.alloc(12), wrapped.subarray(32), true);
}

/** §7: the encrypted bundle is nonce(12) ‖ ChaCha20-Poly1305(key, nonce, bundle, aad). */
export function sealBundle(key: Uint8Array, plaintext: Uint8Array): Buffer {
  const nonce = randomBytes(12);
  return Buffer.concat([nonce, aead(key, nonce, plaintext, false, BUNDLE_AAD)]);
}

export function openBundle(key: Uint8Array, sealed: Uint8Array): Buffer {
  if (sealed.length < 12 + 16) throw new ProvisionError('bad-ciphertext', 'bundle too short');
  return aead(key, sealed.subarray(0, 12), sealed.subarray(12), true, BUNDLE_AAD);
}
