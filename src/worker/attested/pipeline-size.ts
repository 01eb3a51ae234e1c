/**
 * Crypto pipeline options sized to the file (docs/protocol.md §10.4). The
 * pipeline's default batch is 16 chunks, and every run allocates a
 * SharedArrayBuffer for it (~2 MiB, zero-filled) however small the file is.
 * Most files of a step are tiny (logs, small outputs), so this shrinks the
 * batch to what the file needs: the result is byte-for-byte the same, only
 * the buffer is smaller. A file that grows after the stat still works (more
 * batches); large files keep the default. Also: the parsed output
 * recipients, cached per executor (see recipientsOf).
 */
import fs from 'node:fs';
import type { PipelineOptions } from '../../crypto/index.js';
import { X25519Recipient } from '../../crypto/x25519.js';

const CHUNK = 64 * 1024;
const DEFAULT_BATCH = 16;

/** Options for a pipeline over about `size` bytes. */
export function pipelineForSize(size: number): PipelineOptions {
  const chunks = Math.ceil((size + 1) / CHUNK);
  return chunks >= DEFAULT_BATCH ? {} : { chunksPerBatch: Math.max(1, chunks) };
}

/** Options for a pipeline reading `file` (defaults if it cannot be stat'ed: the read then reports the error). */
export async function pipelineForFile(file: string): Promise<PipelineOptions> {
  // Synchronous: a stat is microseconds, a thread-pool round trip per file costs more on every step.
  try {
    return pipelineForSize(fs.statSync(file).size);
  } catch {
    return {};
  }
}

/** Parsed output recipients, by their age1… string: an executor seals every step to the same few (each keeps its KeyObject). */
const recipientCache = new Map<string, X25519Recipient>();

export function recipientsOf(list: readonly string[]): X25519Recipient[] {
  return list.map((r) => {
    let x = recipientCache.get(r);
    if (!x) {
      x = X25519Recipient.parse(r);
      if (recipientCache.size >= 64) recipientCache.clear(); // public keys only; bounded
      recipientCache.set(r, x);
    }
    return x;
  });
}
