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

export const CHUNK_SIZE = 64 * 1024;
export const TAG_SIZE = 16;
export const ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
export const PAYLOAD_NONCE_SIZE = 16;

/**
 * HKDF-SHA-256 inline (not format.ts's helper): pool workers load this file and should load little else.
 * RFC 5869 with L = 32: HMAC(HMAC(nonce, file key), "payload" ‖ 0x01) — two HMACs, no hkdfSync job per file.
 */
export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  const prk = crypto.createHmac('sha256', nonce).update(fileKey).digest();
  const key = crypto.createHmac('sha256', prk).update(PAYLOAD_INFO).digest();
  prk.fill(0);
  return key;
}
const PAYLOAD_INFO = Buffer.from('payload\x01', 'latin1');

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

/** Seals one chunk: its ciphertext and its 16-byte tag. `nonce` is scratch space. */
export function sealChunk(key: Uint8Array, nonce: Buffer, counter: number, last: boolean, input: Uint8Array): [Buffer, Buffer] {
  setNonce(nonce, counter, last);
  const c = crypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
  const ct = c.update(input);
  c.final();
  return [ct, c.getAuthTag()];
}

/**
 * Seals the plaintext chunks in `input` (full 64 KiB chunks, except a shorter
 * last one when `final`) as chunks `counter`, `counter + 1`, … into `output`.
 * Returns the ciphertext length.
 */
export function sealBatch(key: Uint8Array, counter: number, final: boolean, input: Uint8Array, output: Uint8Array): number {
  const parts = sealBatchParts(key, counter, final, input);
  let out = 0;
  for (const p of parts) {
    output.set(p, out);
    out += p.length;
  }
  return out;
}

/** `sealBatch` without the copy: ciphertext and tag of each chunk, in order. */
export function sealBatchParts(key: Uint8Array, counter: number, final: boolean, input: Uint8Array): Buffer[] {
  if (!final && input.length % CHUNK_SIZE !== 0) throw new Error('only the final batch may end with a partial chunk');
  if (input.length === 0 && (!final || counter !== 0)) throw new Error('an empty chunk is only valid as the whole payload');
  const n = chunkCount('seal', input.length);
  const nonce = Buffer.alloc(12);
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(...sealChunk(key, nonce, counter + i, final && i === n - 1, input.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE)));
  }
  return parts;
}

function tryOpen(key: Uint8Array, nonce: Buffer, chunk: Uint8Array): Buffer | null {
  const d = crypto.createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
  d.setAuthTag(chunk.subarray(chunk.length - TAG_SIZE));
  const pt = d.update(chunk.subarray(0, chunk.length - TAG_SIZE));
  try {
    d.final();
  } catch {
    return null;
  }
  return pt;
}

/**
 * Opens one encrypted chunk: its plaintext, or why it fails. Never returns
 * plaintext that did not authenticate.
 */
export function openChunk(key: Uint8Array, nonce: Buffer, c: number, last: boolean, chunk: Uint8Array): Buffer | { reason: string } {
  if (chunk.length < TAG_SIZE) {
    return { reason: c === 0 && chunk.length === 0 ? 'the payload is missing' : 'the file is truncated' };
  }
  if (last && chunk.length === TAG_SIZE && c !== 0) return { reason: 'the final chunk is empty' };
  setNonce(nonce, c, last);
  const pt = tryOpen(key, nonce, chunk);
  if (pt) return pt;
  // Diagnose with the other flag: it tells a truncation from trailing data.
  setNonce(nonce, c, !last);
  const other = tryOpen(key, nonce, chunk) !== null;
  const reason = !other
    ? 'the chunk does not authenticate'
    : last
      ? 'the file is truncated (it ends on a chunk boundary before the final chunk)'
      : 'there is data after the final chunk';
  return { reason };
}

/**
 * Opens the encrypted chunks in `input` (each 64 KiB + 16, except a shorter
 * last one when `final`). Returns the plaintext of each chunk in order, or
 * the first chunk that failed.
 */
export function openBatchParts(key: Uint8Array, counter: number, final: boolean, input: Uint8Array): Buffer[] | { chunk: number; reason: string } {
  const n = chunkCount('open', input.length);
  const nonce = Buffer.alloc(12);
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const chunk = input.subarray(i * ENCRYPTED_CHUNK_SIZE, (i + 1) * ENCRYPTED_CHUNK_SIZE);
    const r = openChunk(key, nonce, counter + i, final && i === n - 1, chunk);
    if (!Buffer.isBuffer(r)) return { chunk: counter + i, reason: r.reason };
    parts.push(r);
  }
  return parts;
}

/** `openBatchParts` into `output`; on failure the caller must discard `output`. */
export function openBatch(key: Uint8Array, counter: number, final: boolean, input: Uint8Array, output: Uint8Array): BatchResult {
  const parts = openBatchParts(key, counter, final, input);
  if (!Array.isArray(parts)) return { ok: false, ...parts };
  let out = 0;
  for (const p of parts) {
    output.set(p, out);
    out += p.length;
  }
  return { ok: true, length: out };
}
