/**
 * File-to-file payload processing, the fast path behind `sealflow encrypt`
 * and `decrypt` when both ends are files. Every batch of chunks has a fixed
 * place in the input and in the output, so each participating thread (the
 * calling thread and every pool worker) takes the next batch number from a
 * shared atomic counter, reads it with pread, seals or opens it, and writes
 * it with pwritev — all on one core, while the data is still in that core's
 * cache, with no copies between threads and no messages per batch.
 *
 * Writes to the output take turns (write-turns.ts), so two threads never
 * contend for the file in the kernel. Memory: a few batches per thread.
 *
 * Decryption output safety is the caller's: the output must be a temporary
 * file that is renamed only if this resolves (or a device such as /dev/null).
 */
import fs from 'node:fs';
import { collectChunkGarbage } from './gc.js';
import { CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, openBatchParts, sealBatchParts } from './stream.js';
import { now, trace, tracing } from './trace.js';
import { FAILED, NEXT, WriteTurns } from './write-turns.js';

/** One thread's share of a file job; `control` is shared by all of them. */
export interface FileJob {
  readonly op: 'seal' | 'open';
  readonly key: Uint8Array;
  readonly inFd: number;
  /** Byte range of the payload chunks in the input. */
  readonly inStart: number;
  readonly inEnd: number;
  readonly outFd: number;
  /** Where the first chunk's output goes. */
  readonly outStart: number;
  readonly chunksPerBatch: number;
  /** CONTROL_BYTES (write-turns.ts); Int32 [NEXT]: next batch number; [FAILED]: non-zero once any thread failed; [WRITE_LOCK]. */
  readonly control: SharedArrayBuffer;
}

/** The first chunk that failed to open, or null. */
export type FileJobFailure = { readonly chunk: number; readonly reason: string } | null;

export function chunkTotal(op: 'seal' | 'open', payloadLength: number): number {
  return Math.max(1, Math.ceil(payloadLength / (op === 'seal' ? CHUNK_SIZE : ENCRYPTED_CHUNK_SIZE)));
}

function preadFull(fd: number, buf: Buffer, length: number, position: number): number {
  let n = 0;
  while (n < length) {
    const got = fs.readSync(fd, buf, n, length - n, position + n);
    if (got === 0) break;
    n += got;
  }
  return n;
}

/** Runs batches from the shared counter until none is left or a thread failed. */
export function runFileBatches(job: FileJob): FileJobFailure {
  const ctl = new Int32Array(job.control);
  const seal = job.op === 'seal';
  const inChunk = seal ? CHUNK_SIZE : ENCRYPTED_CHUNK_SIZE;
  const outChunk = seal ? ENCRYPTED_CHUNK_SIZE : CHUNK_SIZE;
  const total = chunkTotal(job.op, job.inEnd - job.inStart);
  const batches = Math.ceil(total / job.chunksPerBatch);
  const buf = Buffer.allocUnsafe(job.chunksPerBatch * inChunk);
  // With SEALFLOW_CRYPTO_TRACE=1: this thread's time in each step, and its batch count.
  const spent = { read: 0, crypto: 0, write: 0, gc: 0, batches: 0 };
  let t = tracing ? now() : 0;
  const lap = (step: keyof typeof spent): void => {
    if (!tracing) return;
    const n = now();
    spent[step] += n - t;
    t = n;
  };
  const writes = new WriteTurns(ctl, job.outFd);
  trace('file job: start');
  try {
    for (;;) {
      if (Atomics.load(ctl, FAILED) !== 0) return null;
      const k = Atomics.add(ctl, NEXT, 1);
      if (k >= batches) {
        writes.finish();
        return null;
      }
      const first = k * job.chunksPerBatch;
      const inPos = job.inStart + first * inChunk;
      const length = Math.min(job.chunksPerBatch * inChunk, job.inEnd - inPos);
      if (preadFull(job.inFd, buf, length, inPos) !== length) {
        Atomics.store(ctl, FAILED, 1);
        return { chunk: first, reason: 'the input file became shorter while it was read' };
      }
      lap('read');
      const input = buf.subarray(0, length);
      const final = k === batches - 1;
      const parts = seal ? sealBatchParts(job.key, first, final, input) : openBatchParts(job.key, first, final, input);
      lap('crypto');
      if (!Array.isArray(parts)) {
        Atomics.store(ctl, FAILED, 1);
        return parts;
      }
      writes.offer(parts, job.outStart + first * outChunk);
      lap('write');
      collectChunkGarbage(length);
      lap('gc');
      spent.batches++;
    }
  } catch (err) {
    Atomics.store(ctl, FAILED, 1);
    throw err;
  } finally {
    const ms = (x: number): string => x.toFixed(1);
    trace(`file job: end, ${spent.batches}/${batches} batches; read ${ms(spent.read)} crypto ${ms(spent.crypto)} write ${ms(spent.write)} gc ${ms(spent.gc)} ms`);
  }
}
