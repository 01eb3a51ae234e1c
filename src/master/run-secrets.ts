/**
 * The run secrets of an encrypted run (DESIGN.md "Keys" and step 6,
 * docs/protocol.md §13.2): the run identity (whose recipient every
 * intermediate ciphertext is encrypted to) and the 32-byte run hash key
 * (the key of every resume hash, HMAC-SHA-256). Both come from the CSPRNG
 * when a run starts and are kept in the run directory as ONE age file,
 * `run-secrets.age`, mode 0600, encrypted to the broker recipient and signed
 * inside by the master signing key — so that `sealflow run --resume` after a
 * master crash can release the run's intermediate ciphertexts to new workers
 * and recognise unchanged steps, while the run directory alone (without the
 * broker identity) reveals neither.
 *
 * The journal records key ids only (`runSecretsIds`), never key bytes.
 */
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { decrypt, encrypt } from '../crypto/index.js';
import { masterSign, masterVerify, type MasterKeys } from '../crypto/master-key.js';
import { X25519Identity } from '../crypto/x25519.js';
import { InputError, OperationError } from '../errors.js';

export const RUN_SECRETS_FILE = 'run-secrets.age';
const VERSION = 1;
const HASH_KEY_BYTES = 32;
/** Domain separation of the master's signature over the secrets. */
const SIGNATURE_CONTEXT = 'sealflow-run-secrets-v1\0';

export interface RunSecrets {
  readonly runId: string;
  /** Unwraps the file keys of intermediates (they are encrypted to its recipient). */
  readonly runIdentity: X25519Identity;
  /** 32 bytes; the key of the run's resume hashes (src/engine/hash.ts). */
  readonly hashKey: Buffer;
}

/** What the journal may say about the secrets: public fingerprints, never key bytes. */
export interface RunSecretsIds {
  /** The run recipient (a public key). */
  readonly runRecipient: string;
  /** HMAC-SHA-256(hashKey, "sealflow/run-hash-key/id"), first 16 hex digits: tells keys apart, reveals nothing of them. */
  readonly hashKeyId: string;
}

export function runSecretsIds(s: RunSecrets): RunSecretsIds {
  return {
    runRecipient: s.runIdentity.recipient().toString(),
    hashKeyId: createHmac('sha256', s.hashKey).update('sealflow/run-hash-key/id').digest('hex').slice(0, 16),
  };
}

/** Fresh secrets for a new run (node:crypto CSPRNG). */
export function generateRunSecrets(runId: string): RunSecrets {
  return { runId, runIdentity: X25519Identity.generate(), hashKey: randomBytes(HASH_KEY_BYTES) };
}

async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

type Master = Pick<MasterKeys, 'brokerIdentity' | 'signingKey' | 'signingPublicKey'>;

/**
 * Writes `file` (mode 0600, never replacing one): the secrets as JSON, signed
 * by the master signing key, the whole encrypted to the broker recipient.
 * Written beside, synced, then linked into place, so a crash leaves no
 * partial file; the directory is synced too.
 */
export async function writeRunSecrets(file: string, s: RunSecrets, master: Master): Promise<void> {
  const payload = Buffer.from(JSON.stringify({ version: VERSION, runId: s.runId, runIdentity: s.runIdentity.toString(), hashKey: s.hashKey.toString('base64') }));
  const signature = masterSign(master.signingKey, Buffer.concat([Buffer.from(SIGNATURE_CONTEXT), payload]));
  const envelope = Buffer.from(JSON.stringify({ payload: payload.toString('base64'), signature: signature.toString('base64') }));
  payload.fill(0);
  const sealed = await collect(encrypt([master.brokerIdentity.recipient()], envelope));
  envelope.fill(0);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.fchmodSync(fd, 0o600); // whatever the umask
    fs.writeSync(fd, sealed);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, file); // fails if the file exists: run secrets are never replaced
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

/**
 * Reads the secrets of run `runId` from `file` with the broker identity, and
 * checks the master's signature and the run id. Throws an OperationError
 * that says what to do when the file cannot be used.
 */
export async function readRunSecrets(file: string, master: Master, runId: string): Promise<RunSecrets> {
  const fail = (why: string): never => {
    throw new OperationError(`${file}: ${why}; run ${runId} cannot be resumed encrypted (start it again without --resume)`);
  };
  let envelope: Buffer;
  try {
    envelope = await collect(decrypt([master.brokerIdentity], fs.readFileSync(file)));
  } catch (e) {
    return fail(`cannot decrypt it with this master's broker identity (${e instanceof Error ? e.message : String(e)}); it was written by another master, or it is damaged`);
  }
  let payload: Buffer;
  let fields: { version?: unknown; runId?: unknown; runIdentity?: unknown; hashKey?: unknown };
  try {
    const env = JSON.parse(envelope.toString()) as { payload: string; signature: string };
    payload = Buffer.from(env.payload, 'base64');
    if (!masterVerify(master.signingPublicKey, Buffer.concat([Buffer.from(SIGNATURE_CONTEXT), payload]), Buffer.from(env.signature, 'base64'))) return fail('its signature is not this master\'s');
    fields = JSON.parse(payload.toString()) as typeof fields;
  } catch (e) {
    if (e instanceof OperationError) throw e;
    return fail('it is not a run secrets file');
  } finally {
    envelope.fill(0);
  }
  payload.fill(0);
  if (fields.version !== VERSION) return fail(`version ${String(fields.version)} is not ${VERSION}`);
  if (fields.runId !== runId) return fail(`it belongs to run ${String(fields.runId)}`);
  const runIdentity = typeof fields.runIdentity === 'string' ? X25519Identity.tryParse(fields.runIdentity) : null;
  const hashKey = typeof fields.hashKey === 'string' ? Buffer.from(fields.hashKey, 'base64') : Buffer.alloc(0);
  if (!runIdentity || hashKey.length !== HASH_KEY_BYTES) return fail('its run identity or hash key is malformed');
  return { runId, runIdentity, hashKey };
}

/** The run secrets an attested session uses, and whether they are already in the run directory. */
export interface SessionSecrets extends RunSecrets {
  /** True when read from the run directory (a resumed encrypted run), false when generated by this master process. */
  readonly loaded: boolean;
  /** True once the secrets are in the run directory (loaded from there, or written by `persist`). */
  persisted: boolean;
  /** Writes fresh secrets into the run directory `root` (with the master that opened the session). */
  persist(root: string): Promise<void>;
}

/** Whether the run directory `root` belongs to an encrypted run (it holds run secrets). */
export function isEncryptedRun(root: string): boolean {
  return fs.existsSync(path.join(root, RUN_SECRETS_FILE));
}

/** `--resume` of an encrypted run (it holds run secrets) with `--no-encrypt`: refused before anything starts. */
export function checkEncryptedResume(root: string, encrypt: boolean): void {
  if (!encrypt && isEncryptedRun(root)) throw new InputError(`--no-encrypt: run ${path.basename(root)} is encrypted (it has ${RUN_SECRETS_FILE}); resume it encrypted: leave out --no-encrypt`);
}

/**
 * Called by the attested session when it opens: the run's persisted secrets
 * (if its run directory `root` holds them: a resumed encrypted run), or fresh ones.
 */
export async function openRunSecrets(runId: string, root: string | undefined, master: Master): Promise<SessionSecrets> {
  const loaded = root !== undefined && isEncryptedRun(root) ? await readRunSecrets(path.join(root, RUN_SECRETS_FILE), master, runId) : null;
  const s = loaded ?? generateRunSecrets(runId);
  const out: SessionSecrets = {
    ...s,
    loaded: loaded !== null,
    persisted: loaded !== null,
    async persist(dir: string) {
      if (out.persisted) return;
      await writeRunSecrets(path.join(dir, RUN_SECRETS_FILE), s, master);
      out.persisted = true;
    },
  };
  return out;
}

