/**
 * age v1 for small in-memory values, synchronously: `sealSmall` returns the
 * ASCII-armored age file of a byte string, `openSmall` decrypts one (armored
 * or binary). What sealed port values use (docs/protocol.md §10.2): a value
 * is a few bytes to a few megabytes, and the master reveals it where it must
 * decide (`when`, scatter), inside synchronous code. The format is exactly
 * the streaming one's (`sealflow decrypt` and `age -d` read it).
 */
import fs from 'node:fs';
import { BEGIN, END } from './armor.js';
import { CorruptFileError } from './errors.js';
import { unwrapFileKey } from './filekey.js';
import { startEncryption } from './files.js';
import { findHeaderEnd, parseHeader, verifyHeaderMac, type Header } from './format.js';
import { openBatchParts, PAYLOAD_NONCE_SIZE, payloadKey, sealBatchParts } from './stream.js';
import { FILE_KEY_SIZE, type Identity, type Recipient } from './types.js';

/** Values larger than this are refused (they belong in files). */
export const MAX_SMALL = 64 * 1024 * 1024;

/** The armored age encryption of `plaintext` to `recipients`. */
export function sealSmall(recipients: readonly Recipient[], plaintext: Uint8Array): string {
  if (plaintext.length > MAX_SMALL) throw new RangeError(`a sealed value is at most ${MAX_SMALL} bytes (got ${plaintext.length}); return a file instead`);
  const { fileKey, header, nonce } = startEncryption(recipients);
  const parts = sealBatchParts(payloadKey(fileKey, nonce), 0, true, plaintext);
  fileKey.fill(0);
  const b64 = Buffer.concat([header, nonce, ...parts]).toString('base64');
  let out = `${BEGIN}\n`;
  for (let i = 0; i < b64.length; i += 64) out += `${b64.slice(i, i + 64)}\n`;
  return `${out}${END}\n`;
}

function dearmor(text: string): Buffer {
  const lines = text.trim().split(/\r?\n/);
  if (lines[0] !== BEGIN || lines.at(-1) !== END) throw new CorruptFileError('armor', 'a sealed value is not an armored age file');
  const body = lines.slice(1, -1);
  if (body.some((l, i) => !/^[A-Za-z0-9+/=]*$/.test(l) || l.length > 64 || (i < body.length - 1 && l.length !== 64))) {
    throw new CorruptFileError('armor', 'a sealed value has malformed armor lines');
  }
  return Buffer.from(body.join(''), 'base64');
}

function split(file: string | Uint8Array): { bin: Buffer; end: number; header: Header } {
  const bin = typeof file === 'string' ? dearmor(file) : Buffer.from(file);
  const end = findHeaderEnd(bin);
  if (end < 0) throw new CorruptFileError('header', 'the header has no "---" footer line');
  return { bin, end, header: parseHeader(bin.subarray(0, end)) };
}

/** The header of a small age file (armored text or binary bytes); CorruptFileError if it has none. */
export function headerOfSmall(file: string | Uint8Array): Header {
  return split(file).header;
}

/** Decrypts a small age file (armored text or binary bytes) with the first matching identity. */
export function openSmall(identities: readonly Identity[], file: string | Uint8Array): Buffer {
  const { bin, end, header } = split(file);
  const fileKey = unwrapFileKey(header, identities);
  const nonce = bin.subarray(end, end + PAYLOAD_NONCE_SIZE);
  if (nonce.length !== PAYLOAD_NONCE_SIZE) throw new CorruptFileError('header', 'the file ends before the 16-byte payload nonce');
  const parts = openBatchParts(payloadKey(fileKey, nonce), 0, true, bin.subarray(end + PAYLOAD_NONCE_SIZE));
  fileKey.fill(0);
  if (!Array.isArray(parts)) throw new CorruptFileError({ chunk: parts.chunk }, parts.reason);
  return Buffer.concat(parts);
}

/**
 * The binary age file of a small `plaintext` to `recipients`, as the pieces
 * to write in order (header and payload nonce, then each chunk's ciphertext
 * and tag): the same bytes the streaming encryption writes, without its
 * pipeline. For the many tiny files of a step (docs/protocol.md §10.4).
 */
export function sealBinary(recipients: readonly Recipient[], plaintext: Uint8Array): Buffer[] {
  if (plaintext.length > MAX_SMALL) throw new RangeError(`sealBinary takes at most ${MAX_SMALL} bytes (got ${plaintext.length})`);
  const { fileKey, header, nonce } = startEncryption(recipients);
  const parts = sealBatchParts(payloadKey(fileKey, nonce), 0, true, plaintext);
  fileKey.fill(0);
  return [Buffer.concat([header, nonce]), ...parts];
}

/** True if `bytes` start like a binary (not armored) age file. */
export function isBinaryAge(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 19)).toString('latin1') === 'age-encryption.org/';
}

/**
 * Decrypts a small binary age file held in memory with its file key, as
 * `decryptWithFileKey` does a stream: the header MAC is checked first, and
 * CorruptFileError names what failed. Returns the plaintext only if every
 * chunk authenticated.
 */
export function openBinaryWithFileKey(fileKey: Uint8Array, file: Uint8Array): Buffer {
  if (fileKey.length !== FILE_KEY_SIZE) throw new TypeError('a file key is 16 bytes');
  const bin = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const end = findHeaderEnd(bin);
  if (end < 0) throw new CorruptFileError('header', 'the header has no "---" footer line');
  const header = parseHeader(bin.subarray(0, end));
  if (!verifyHeaderMac(header, fileKey)) throw new CorruptFileError('header', 'the header MAC does not verify under this file key');
  const nonce = bin.subarray(end, end + PAYLOAD_NONCE_SIZE);
  if (nonce.length !== PAYLOAD_NONCE_SIZE) throw new CorruptFileError('header', 'the file ends before the 16-byte payload nonce');
  const parts = openBatchParts(payloadKey(fileKey, nonce), 0, true, bin.subarray(end + PAYLOAD_NONCE_SIZE));
  if (!Array.isArray(parts)) throw new CorruptFileError({ chunk: parts.chunk }, parts.reason);
  return Buffer.concat(parts);
}

/**
 * The whole of `file` when it holds at most `max` bytes, read synchronously
 * for the one-shot path above; null when it is larger, or grew past its size
 * while it was read (the streaming path takes it then).
 */
export function readSmallFile(file: string, max: number): Buffer | null {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size > max) return null;
    const buf = Buffer.allocUnsafe(size + 1);
    let n = 0;
    while (n < buf.length) {
      const got = fs.readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    return n > size ? null : buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}
