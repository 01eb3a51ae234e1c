/**
 * Admitting one owner input file (docs/protocol.md §10, §8.1): a plaintext
 * file is encrypted to the broker recipient, hashed as the ciphertext is
 * written; an age file is hashed as it is. Either way the file is read once
 * and the age header is kept from the bytes that were hashed, so key
 * releases need not read it again.
 */
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';
import { encryptTo } from '../crypto/index.js';
import type { Header } from '../crypto/filekey.js';
import type { Recipient } from '../crypto/types.js';
import { hashWithHeader, headerOf } from './broker/recorded.js';

/**
 * Encrypts `plain` to `recipients` into `dest` (0600, new); the ciphertext's SHA-256 and header.
 * With `hashKey` (the run hash key), also the HMAC-SHA-256 of the plaintext under it — the input's
 * resume hash (src/engine/hash.ts) — from the same read (docs/protocol.md §10.6). The file is read
 * straight into the crypto pipeline's slots and the ciphertext hashed and written from them (no
 * stream buffers per chunk, as the worker's sealInPlace does, §10.5).
 */
export async function sealPlainInput(plain: string, dest: string, recipients: readonly Recipient[], hashKey?: Uint8Array): Promise<{ sha256: string; header: Header | null; keyed?: string }> {
  const h = createHash('sha256');
  const mac = hashKey ? createHmac('sha256', hashKey) : null;
  const inFh = await fs.promises.open(plain, 'r');
  let first: Buffer | null = null;
  try {
    const outFh = await fs.promises.open(dest, 'wx', 0o600);
    try {
      // Large inputs use the crypto pool (the default pipeline): the master has nothing else to do until they are admitted.
      await encryptTo(
        recipients,
        {
          async read(into) {
            const { bytesRead } = await inFh.read(into, 0, into.length, null);
            if (bytesRead > 0) mac?.update(into.subarray(0, bytesRead));
            return bytesRead;
          },
        },
        {
          async write(data) {
            first ??= Buffer.from(data.subarray(0, 64 * 1024)); // the first write is the whole header and the payload nonce
            h.update(data);
            let off = 0;
            while (off < data.length) off += (await outFh.write(data, off, data.length - off, null)).bytesWritten;
          },
        },
      );
    } catch (e) {
      await outFh.close();
      await fs.promises.rm(dest, { force: true }); // no partial ciphertext is left to be taken for the input
      throw e;
    }
    await outFh.close();
  } finally {
    await inFh.close();
  }
  return { sha256: h.digest('hex'), header: first ? await headerOf(first) : null, ...(mac ? { keyed: mac.digest('hex') } : {}) };
}

/** An age file given as an input: hashed once, header kept. */
export function recordAgeInput(file: string): Promise<{ sha256: string; header: Header | null }> {
  return hashWithHeader(file);
}
