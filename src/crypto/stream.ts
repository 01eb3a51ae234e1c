/**
 * The age payload (age-encryption.org/v1, "Payload"): a 16-byte nonce, then
 * the plaintext cut into 64 KiB chunks, each sealed with ChaCha20-Poly1305
 * under payload key = HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload")
 * and the STREAM nonce: an 11-byte big-endian chunk counter, then a byte that
 * is 1 for the final chunk and 0 otherwise. Only the final chunk may be
 * shorter than 64 KiB, and it may be empty only if the whole payload is.
 *
 * Chunks are independent, so they are processed in batches (one contiguous
 * buffer of consecutive chunks) that can run on any thread: `sealBatch` and
 * `openBatch` are what both the inline path and the worker pool execute.
 */
import crypto from 'node:crypto';
import { hkdf } from './format.js';

export const CHUNK_SIZE = 64 * 1024;
export const TAG_SIZE = 16;
export const ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
export const PAYLOAD_NONCE_SIZE = 16;

export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return hkdf(fileKey, nonce, 'payload');
}

/** STREAM nonce: counter as 11 big-endian bytes, then the last-chunk flag. */
function setNonce(nonce: Buffer, counter: number, last: boolean): void {
  nonce.fill(0);
  nonce.writeUInt32BE(Math.floor(counter / 2 ** 32), 3);
  nonce.writeUInt32BE(counter >>> 0, 7);
  nonce[11] = last ? 1 : 0;
}

/** The outcome of opening a batch: its plaintext length, or the first chunk that failed. */
export type BatchResult =
  | { readonly ok: true; readonly length: number }
  | { readonly ok: false; readonly chunk: number; readonly reason: string };

/** How many chunks a batch of `inputLength` bytes holds. */
export function chunkCount(op: 'seal' | 'open', inputLength: number): number {
  const size = op === 'seal' ? CHUNK_SIZE : ENCRYPTED_CHUNK_SIZE;
  return Math.max(1, Math.ceil(inputLength / size));
}

/**
 * Seals the plaintext chunks in `input` (full 64 KiB chunks, except a shorter
 * last one when `final`) as chunks `counter`, `counter + 1`, … into `output`.
 * Returns the ciphertext length.
 */
export function sealBatch(key: Uint8Array, counter: number, final: boolean, input: Uint8Array, output: Uint8Array): number {
  if (!final && input.length % CHUNK_SIZE !== 0) throw new Error('only the final batch may end with a partial chunk');
  if (input.length === 0 && (!final || counter !== 0)) throw new Error('an empty chunk is only valid as the whole payload');
  const n = chunkCount('seal', input.length);
  const nonce = Buffer.alloc(12);
  let out = 0;
  for (let i = 0; i < n; i++) {
    setNonce(nonce, counter + i, final && i === n - 1);
    const c = crypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
    const ct = c.update(input.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE));
    c.final();
    output.set(ct, out);
    output.set(c.getAuthTag(), out + ct.length);
    out += ct.length + TAG_SIZE;
  }
  return out;
}

function tryOpen(key: Uint8Array, nonce: Buffer, chunk: Uint8Array, output: Uint8Array, at: number): number | null {
  const d = crypto.createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
  d.setAuthTag(chunk.subarray(chunk.length - TAG_SIZE));
  const pt = d.update(chunk.subarray(0, chunk.length - TAG_SIZE));
  try {
    d.final();
  } catch {
    return null;
  }
  output.set(pt, at);
  return pt.length;
}

/**
 * Opens the encrypted chunks in `input` (each 64 KiB + 16, except a shorter
 * last one when `final`) into `output`. Plaintext of a failed batch must not
 * be released: on failure the caller discards `output`.
 */
export function openBatch(key: Uint8Array, counter: number, final: boolean, input: Uint8Array, output: Uint8Array): BatchResult {
  const n = chunkCount('open', input.length);
  const nonce = Buffer.alloc(12);
  let out = 0;
  for (let i = 0; i < n; i++) {
    const c = counter + i;
    const last = final && i === n - 1;
    const chunk = input.subarray(i * ENCRYPTED_CHUNK_SIZE, (i + 1) * ENCRYPTED_CHUNK_SIZE);
    if (chunk.length < TAG_SIZE) {
      return { ok: false, chunk: c, reason: c === 0 && chunk.length === 0 ? 'the payload is missing' : 'the file is truncated' };
    }
    if (last && chunk.length === TAG_SIZE && c !== 0) return { ok: false, chunk: c, reason: 'the final chunk is empty' };
    setNonce(nonce, c, last);
    const got = tryOpen(key, nonce, chunk, output, out);
    if (got !== null) {
      out += got;
      continue;
    }
    // Diagnose with the other flag: it tells a truncation from trailing data.
    setNonce(nonce, c, !last);
    const other = tryOpen(key, nonce, chunk, output, out) !== null;
    const reason = !other
      ? 'the chunk does not authenticate'
      : last
        ? 'the file is truncated (it ends on a chunk boundary before the final chunk)'
        : 'there is data after the final chunk';
    return { ok: false, chunk: c, reason };
  }
  return { ok: true, length: out };
}
