/**
 * The scrypt (passphrase) recipient type (age v1 spec, "scrypt recipient stanza"):
 *
 *     -> scrypt <base64(16-byte salt)> <log2(N), decimal>
 *     <base64(ChaCha20-Poly1305(key, zero nonce, file key))>
 *
 * key = scrypt(passphrase, salt = "age-encryption.org/v1/scrypt" || salt,
 *              N = 2^log2N, r = 8, p = 1, 32 bytes).
 * An scrypt stanza must be the only stanza of its file.
 */
import crypto from 'node:crypto';
import { decodeUnpadded, encodeUnpadded } from './base64.js';
import { CorruptFileError } from './errors.js';
import { aeadOpen, aeadSeal } from './x25519.js';
import { FILE_KEY_SIZE, type Identity, type Recipient, type Stanza } from './types.js';

const LABEL = 'age-encryption.org/v1/scrypt';
/** age's default: about one second on a laptop. */
export const DEFAULT_WORK_FACTOR = 18;
/** The largest work factor an identity accepts by default (age uses 22). */
export const DEFAULT_MAX_WORK_FACTOR = 22;

function deriveKey(passphrase: string, salt: Uint8Array, logN: number): Buffer {
  const N = 2 ** logN;
  return crypto.scryptSync(Buffer.from(passphrase, 'utf8'), Buffer.concat([Buffer.from(LABEL), salt]), 32, {
    N,
    r: 8,
    p: 1,
    maxmem: 128 * 8 * N + 16 * 1024 * 1024,
  });
}

export class ScryptRecipient implements Recipient {
  readonly mustBeAlone = true;
  readonly #passphrase: string;
  readonly #workFactor: number;

  constructor(passphrase: string, workFactor = DEFAULT_WORK_FACTOR) {
    if (passphrase.length === 0) throw new Error('the passphrase is empty');
    if (!Number.isInteger(workFactor) || workFactor < 1 || workFactor > 30) throw new Error('scrypt work factor must be 1..30');
    this.#passphrase = passphrase;
    this.#workFactor = workFactor;
  }

  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const salt = crypto.randomBytes(16);
    const key = deriveKey(this.#passphrase, salt, this.#workFactor);
    return [{ type: 'scrypt', args: [encodeUnpadded(salt), String(this.#workFactor)], body: aeadSeal(key, fileKey) }];
  }
}

export class ScryptIdentity implements Identity {
  readonly #passphrase: string;
  readonly #maxWorkFactor: number;

  constructor(passphrase: string, maxWorkFactor = DEFAULT_MAX_WORK_FACTOR) {
    this.#passphrase = passphrase;
    this.#maxWorkFactor = maxWorkFactor;
  }

  unwrapFileKey(stanzas: readonly Stanza[]): Uint8Array | null {
    const mine = stanzas.filter((s) => s.type === 'scrypt');
    if (mine.length === 0) return null;
    if (stanzas.length !== 1) throw new CorruptFileError('header', 'an scrypt stanza must be the only stanza of a file');
    const s = mine[0]!;
    const salt = s.args.length === 2 ? decodeUnpadded(s.args[0]!) : null;
    if (!salt || salt.length !== 16) throw new CorruptFileError('header', 'malformed scrypt stanza arguments');
    const wf = s.args[1]!;
    if (!/^[1-9][0-9]?$/.test(wf)) throw new CorruptFileError('header', `malformed scrypt work factor "${wf}"`);
    const logN = Number(wf);
    if (logN > this.#maxWorkFactor) {
      throw new CorruptFileError('header', `scrypt work factor ${logN} is above the limit ${this.#maxWorkFactor}`);
    }
    if (s.body.length !== FILE_KEY_SIZE + 16) throw new CorruptFileError('header', 'malformed scrypt stanza body');
    return aeadOpen(deriveKey(this.#passphrase, salt, logN), s.body);
  }
}
