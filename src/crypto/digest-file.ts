/**
 * Digest of a file's bytes, read synchronously in 1 MiB pieces through one
 * shared buffer: plain SHA-256, or HMAC-SHA-256 under a key. The one file
 * hasher of the master's resume hashes (src/engine/hash.ts) and the worker's
 * plaintext output hashes (src/worker/executor/outputs.ts): the same bytes
 * must give the same digest on both sides.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';

let shared: Buffer | undefined;

/** Hex digest of the bytes of `file` (SHA-256, or HMAC-SHA-256 when `key` is given). */
export function digestFileSync(file: string, key?: Buffer): string {
  const h = key ? crypto.createHmac('sha256', key) : crypto.createHash('sha256');
  shared ??= Buffer.allocUnsafe(1 << 20);
  const fd = fs.openSync(file, 'r');
  try {
    for (;;) {
      const n = fs.readSync(fd, shared, 0, shared.length, null);
      if (n === 0) break;
      h.update(shared.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}
