/** Deterministic test data and input shapes for the crypto tests. */
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';

/** A small seeded PRNG (mulberry32), so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `size` pseudo-random bytes from `seed`. */
export function pseudoRandomBytes(size: number, seed = size): Buffer {
  const rand = prng(seed);
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) {
    const v = Math.floor(rand() * 2 ** 32);
    out[i] = v & 255;
    if (i + 1 < size) out[i + 1] = (v >>> 8) & 255;
    if (i + 2 < size) out[i + 2] = (v >>> 16) & 255;
    if (i + 3 < size) out[i + 3] = v >>> 24;
  }
  return out;
}

/** `data` as an async stream of pieces of `piece` bytes (1 = one byte at a time). */
export async function* inPieces(data: Uint8Array, piece: number | (() => number)): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; ) {
    const n = Math.max(1, typeof piece === 'number' ? piece : piece());
    yield data.subarray(i, i + n);
    i += n;
  }
}

export function collect(stream: Readable | AsyncIterable<Uint8Array>): Promise<Buffer> {
  return buffer(stream);
}
