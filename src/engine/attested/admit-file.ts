/**
 * Admitting one owner input file (docs/protocol.md §10, §8.1): a plaintext
 * file is encrypted to the broker recipient, hashed as the ciphertext is
 * written; an age file is hashed as it is. Either way the file is read once
 * and the age header is kept from the bytes that were hashed, so key
 * releases need not read it again.
 */
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';
import { encrypt } from '../../crypto/index.js';
import type { Header } from '../../crypto/filekey.js';
import type { Recipient } from '../../crypto/types.js';
import { hashWithHeader, headerOf } from '../broker/recorded.js';

/** Every chunk of `source`, fed to `mac` as it passes. */
async function* macked(source: AsyncIterable<Uint8Array>, mac: { update(b: Uint8Array): unknown }): AsyncGenerator<Uint8Array> {
  for await (const c of source) {
    mac.update(c);
    yield c;
  }
}

/**
 * Encrypts `plain` to `recipients` into `dest` (0600, new); the ciphertext's SHA-256 and header.
 * With `hashKey` (the run hash key), also the HMAC-SHA-256 of the plaintext under it — the input's
 * resume hash (src/engine/hash.ts) — from the same read (docs/protocol.md §10.6).
 */
export async function sealPlainInput(plain: string, dest: string, recipients: readonly Recipient[], hashKey?: Uint8Array): Promise<{ sha256: string; header: Header | null; keyed?: string }> {
  const h = createHash('sha256');
  const mac = hashKey ? createHmac('sha256', hashKey) : null;
  const fh = await fs.promises.open(dest, 'wx', 0o600);
  let first: Buffer | null = null;
  try {
    const source = fs.createReadStream(plain, { highWaterMark: 4 << 20 }) as AsyncIterable<Uint8Array>;
    // Large inputs use the crypto pool (the default pipeline): the master has nothing else to do until they are admitted.
    for await (const c of encrypt(recipients, mac ? macked(source, mac) : source)) {
      const b = c as Uint8Array;
      first ??= Buffer.from(b.subarray(0, 64 * 1024)); // the first chunk is the header and the payload nonce
      h.update(b);
      await fh.write(b);
    }
  } finally {
    await fh.close();
  }
  return { sha256: h.digest('hex'), header: first ? await headerOf(first) : null, ...(mac ? { keyed: mac.digest('hex') } : {}) };
}

/** An age file given as an input: hashed once, header kept. */
export function recordAgeInput(file: string): Promise<{ sha256: string; header: Header | null }> {
  return hashWithHeader(file);
}
