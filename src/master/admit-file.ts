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
import { headerOfSmall, readSmallFile, sealBinary } from '../crypto/oneshot.js';
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
  await new Promise((resolve) => setImmediate(resolve)); // a turn of the event loop per input: thousands of small ones are sealed synchronously
  const small = sealSmallInput(plain, dest, recipients, hashKey);
  if (small) return small;
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

/** Plaintext inputs up to this size are sealed in memory (sealSmallInput). */
const SMALL_INPUT = 1024 * 1024;

/**
 * `sealPlainInput` of a file of at most SMALL_INPUT bytes, with synchronous
 * calls and no pipeline: the same bytes, without the pipeline's ~2 MiB of
 * slots per file (a run of 1,000 small inputs held ~150 MiB of the master's
 * memory in them) or its thread-pool round trips. Null when the file is
 * larger, or grew while it was read (the pipeline takes it).
 */
function sealSmallInput(plain: string, dest: string, recipients: readonly Recipient[], hashKey?: Uint8Array): { sha256: string; header: Header | null; keyed?: string } | null {
  const bytes = readSmallFile(plain, SMALL_INPUT);
  if (!bytes) return null;
  const pieces = sealBinary(recipients, bytes);
  const h = createHash('sha256');
  const out = fs.openSync(dest, 'wx', 0o600);
  try {
    for (const p of pieces) {
      h.update(p);
      for (let off = 0; off < p.length; ) off += fs.writeSync(out, p, off, p.length - off);
    }
  } catch (e) {
    fs.closeSync(out);
    fs.rmSync(dest, { force: true }); // no partial ciphertext is left to be taken for the input
    throw e;
  }
  fs.closeSync(out);
  const keyed = hashKey ? createHmac('sha256', hashKey).update(bytes).digest('hex') : undefined;
  return { sha256: h.digest('hex'), header: headerOfSmall(pieces[0]!), ...(keyed !== undefined ? { keyed } : {}) };
}

/** An age file given as an input: hashed once, header kept. */
export function recordAgeInput(file: string): Promise<{ sha256: string; header: Header | null }> {
  return hashWithHeader(file);
}
