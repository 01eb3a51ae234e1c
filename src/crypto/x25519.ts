/**
 * The X25519 recipient type (age v1 spec, "X25519 recipient stanza"):
 *
 *     -> X25519 <base64(ephemeral share)>
 *     <base64(ChaCha20-Poly1305(wrap key, zero nonce, file key))>
 *
 * wrap key = HKDF-SHA-256(ikm = shared secret,
 *                         salt = ephemeral share || recipient,
 *                         info = "age-encryption.org/v1/X25519").
 * Recipients are bech32 "age1…", identities bech32 "AGE-SECRET-KEY-1…".
 */
import crypto from 'node:crypto';
import { decodeUnpadded, encodeUnpadded } from './base64.js';
import { bech32Decode, bech32Encode } from './bech32.js';
import { InputError } from '../errors.js';
import { CorruptFileError } from './errors.js';
import { hkdf } from './format.js';
import { FILE_KEY_SIZE, type Identity, type Recipient, type Stanza } from './types.js';

const INFO = 'age-encryption.org/v1/X25519';
const RECIPIENT_HRP = 'age';
const IDENTITY_HRP = 'age-secret-key-';
// DER prefixes of SubjectPublicKeyInfo / PKCS#8 for OID 1.3.101.110 (X25519), RFC 8410.
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const ZERO_NONCE = Buffer.alloc(12);

/**
 * Raw public keys go in as JWK (RFC 8037 "OKP", crv X25519: `x` is the raw
 * 32 bytes, base64url): OpenSSL 3 then uses its raw-key call, not its DER
 * decoder (~200 µs per import here, JWK ~26 µs), several times per step on
 * the master and worker.
 */
function publicKeyObject(raw: Uint8Array): crypto.KeyObject {
  if (raw.length !== 32) throw new Error('an X25519 public key is 32 bytes');
  return crypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

function privateKeyObject(raw: Uint8Array): crypto.KeyObject {
  return crypto.createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

/**
 * Export stays DER: Node 20's JWK export holds the key's mutex while it
 * allocates, and a garbage collection then (which may destroy the key's
 * generating job, taking the same mutex) deadlocks the process — seen on a
 * freshly generated ephemeral key.
 */
function rawPublic(key: crypto.KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
}

/** u = 9, the X25519 base point (RFC 7748 §4.1). */
let basePoint: crypto.KeyObject | undefined;

/**
 * The raw public key of a private key as X25519(k, 9) (RFC 7748 §6.1): one
 * scalar multiplication, about half the cost of OpenSSL's DER export, and
 * no export call at all (so not the JWK one either). Used for the fresh
 * ephemeral key of every stanza.
 */
function publicOfPrivate(priv: crypto.KeyObject): Buffer {
  basePoint ??= publicKeyObject(Buffer.concat([Buffer.from([9]), Buffer.alloc(31)]));
  return crypto.diffieHellman({ privateKey: priv, publicKey: basePoint });
}

/** False once the raw-scalar import below was refused (a Node that checks `x`): ephemeral keys then come from the key generator. */
let rawEphemeral = true;

/**
 * A fresh ephemeral key pair for one stanza: 32 CSPRNG bytes imported as a
 * JWK private key (OpenSSL's raw-key call; it derives the public key as it
 * imports), and the public key read back as a JWK `x` of the public half.
 * One scalar multiplication and no key-generation job, where
 * `generateKeyPairSync` plus `X25519(e, 9)` cost two and a job:
 * ~85 against ~118 µs of CPU per stanza with its exchange, measured here.
 * Node 20 requires a string `x` in a private JWK and ignores it (the public
 * key is derived from `d`); the public key read back is checked to be 32
 * bytes, and a Node that refuses the import falls back to the key generator.
 * The JWK export is of the public half only (Node 20's JWK export of a key
 * made by a generation job can deadlock with the garbage collector: see
 * rawPublic; these keys come from no job). The scalar passes through a
 * base64url string for the import: it is as secret as the file key it wraps,
 * which this process holds anyway, and is never logged.
 */
function ephemeralKey(): { readonly privateKey: crypto.KeyObject; readonly share: Buffer } {
  if (rawEphemeral) {
    try {
      const scalar = crypto.randomBytes(32);
      const privateKey = crypto.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: scalar.toString('base64url'), x: '' }, format: 'jwk' });
      scalar.fill(0);
      const x = crypto.createPublicKey(privateKey).export({ format: 'jwk' }).x;
      const share = typeof x === 'string' ? Buffer.from(x, 'base64url') : Buffer.alloc(0);
      if (share.length === 32) return { privateKey, share };
    } catch {
      /* below */
    }
    rawEphemeral = false;
  }
  const { privateKey } = crypto.generateKeyPairSync('x25519');
  return { privateKey, share: publicOfPrivate(privateKey) };
}

/** The KeyObject of a raw public key, or undefined if OpenSSL refuses it (sharedSecret then reports it). */
function tryPublicKeyObject(raw: Uint8Array): crypto.KeyObject | undefined {
  try {
    return publicKeyObject(raw);
  } catch {
    return undefined;
  }
}

/** X25519 shared secret; null for a low-order share (all-zero result, which age forbids). `pub`: pubRaw's KeyObject, if made already. */
function sharedSecret(priv: crypto.KeyObject, pubRaw: Uint8Array, pub?: crypto.KeyObject): Buffer | null {
  try {
    const s = crypto.diffieHellman({ privateKey: priv, publicKey: pub ?? publicKeyObject(pubRaw) });
    return s.every((b) => b === 0) ? null : s;
  } catch {
    return null; // OpenSSL refuses to return an all-zero secret
  }
}

/** ChaCha20-Poly1305 under a zero nonce (each wrap key is used once). */
export function aeadSeal(key: Uint8Array, plaintext: Uint8Array): Buffer {
  const c = crypto.createCipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 });
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

/** Opens an `aeadSeal` box; null if it does not authenticate. */
export function aeadOpen(key: Uint8Array, box: Uint8Array): Buffer | null {
  if (box.length < 16) return null;
  const d = crypto.createDecipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 });
  d.setAuthTag(box.subarray(box.length - 16));
  const out = d.update(box.subarray(0, box.length - 16));
  try {
    d.final();
  } catch {
    return null;
  }
  return out;
}

export class X25519Recipient implements Recipient {
  /** The 32-byte Montgomery u-coordinate. */
  readonly publicKey: Buffer;
  /** Its KeyObject, made on first use (a recipient often wraps many file keys: one per output of a step). */
  #keyObject: crypto.KeyObject | undefined;

  constructor(publicKey: Uint8Array) {
    if (publicKey.length !== 32) throw new Error('an X25519 public key is 32 bytes');
    this.publicKey = Buffer.from(publicKey);
  }

  /** Parses an `age1…` string; InputError naming it if malformed. */
  static parse(s: string): X25519Recipient {
    const d = bech32Decode(s);
    if (s.toUpperCase().startsWith('AGE-SECRET-KEY-')) {
      throw new InputError('a secret key (AGE-SECRET-KEY-1…) was given where a recipient (age1…) is expected; use "sealflow key show" to get its recipient');
    }
    if (!d || s !== s.toLowerCase() || d.hrp !== RECIPIENT_HRP || d.data.length !== 32) {
      throw new InputError(`malformed recipient "${s}": expected an X25519 recipient "age1…" (as printed by "sealflow keygen" or "age-keygen")`);
    }
    return new X25519Recipient(d.data);
  }

  toString(): string {
    return bech32Encode(RECIPIENT_HRP, this.publicKey);
  }

  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const eph = ephemeralKey();
    const share = eph.share;
    const secret = sharedSecret(eph.privateKey, this.publicKey, (this.#keyObject ??= tryPublicKeyObject(this.publicKey)));
    if (!secret) throw new InputError(`recipient ${this.toString()} is a low-order point and cannot be encrypted to`);
    const wrapKey = hkdf(secret, Buffer.concat([share, this.publicKey]), INFO);
    return [{ type: 'X25519', args: [encodeUnpadded(share)], body: aeadSeal(wrapKey, fileKey) }];
  }
}

export class X25519Identity implements Identity {
  readonly #privateKey: crypto.KeyObject;
  readonly #publicKey: Buffer;
  readonly #scalar: Buffer;

  constructor(scalar: Uint8Array) {
    if (scalar.length !== 32) throw new Error('an X25519 secret key is 32 bytes');
    this.#scalar = Buffer.from(scalar);
    this.#privateKey = privateKeyObject(scalar);
    this.#publicKey = rawPublic(crypto.createPublicKey(this.#privateKey));
  }

  /** A fresh identity from the CSPRNG. */
  static generate(): X25519Identity {
    const { privateKey } = crypto.generateKeyPairSync('x25519');
    return new X25519Identity(privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length));
  }

  /** Parses an `AGE-SECRET-KEY-1…` string; null if it is not one (never echoes key material). */
  static tryParse(s: string): X25519Identity | null {
    const d = bech32Decode(s);
    if (!d || s !== s.toUpperCase() || d.hrp !== IDENTITY_HRP || d.data.length !== 32) return null;
    return new X25519Identity(d.data);
  }

  /** The `AGE-SECRET-KEY-1…` encoding. Secret: never log it. */
  toString(): string {
    return bech32Encode(IDENTITY_HRP, this.#scalar).toUpperCase();
  }

  recipient(): X25519Recipient {
    return new X25519Recipient(this.#publicKey);
  }

  unwrapFileKey(stanzas: readonly Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.type !== 'X25519') continue;
      const share = s.args.length === 1 ? decodeUnpadded(s.args[0]!) : null;
      if (!share || share.length !== 32) throw new CorruptFileError('header', 'malformed X25519 stanza arguments');
      if (s.body.length !== FILE_KEY_SIZE + 16) throw new CorruptFileError('header', 'malformed X25519 stanza body');
      const secret = sharedSecret(this.#privateKey, share);
      if (!secret) throw new CorruptFileError('header', 'X25519 stanza with a low-order ephemeral share');
      const wrapKey = hkdf(secret, Buffer.concat([share, this.#publicKey]), INFO);
      const fileKey = aeadOpen(wrapKey, s.body);
      if (fileKey) return fileKey;
    }
    return null;
  }
}
