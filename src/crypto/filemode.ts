/**
 * File-to-file payload processing, the fast path behind `sealflow encrypt`
 * and `decrypt` when both ends are files. Every batch of chunks has a fixed
 * place in the input and in the output, so each participating thread (the
 * calling thread and every pool worker) takes the next batch number from a
 * shared atomic counter, reads it with pread, seals or opens it, and writes
 * it with pwritev — all on one core, while the data is still in that core's
 * cache, with no copies between threads and no messages per batch.
 *
 * Writes to the output take turns (a lock in `control`): two threads
 * writing one file at once contend for its inode lock in the kernel, which
 * spins (`rwsem_spin_on_owner` was 12 % of a 2 GiB decryption's samples).
 * A thread that finds the lock taken keeps its sealed batch and goes on to
 * the next one, and writes both at its next turn; it waits (asleep) only
 * when it already holds MAX_DEFERRED batches. Memory: that many batches per
 * thread.
 *
 * Decryption output safety is the caller's: the output must be a temporary
 * file that is renamed only if this resolves (or a device such as /dev/null).
 */
import fs from 'node:fs';
import { collectChunkGarbage } from './gc.js';
import { CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, openBatchParts, sealBatchParts } from './stream.js';
import { now, trace, tracing } from './trace.js';

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
  /** CONTROL_BYTES; Int32 [0]: next batch number; [1]: non-zero once any thread failed; [2]: the write lock (1 = held). */
  readonly control: SharedArrayBuffer;
}

/** Size of a FileJob's `control`. */
export const CONTROL_BYTES = 12;
const NEXT = 0;
const FAILED = 1;
const WRITE_LOCK = 2;
/** Sealed batches a thread may hold while another thread writes. */
const MAX_DEFERRED = 2;
/** How long a waiting writer sleeps before it looks again whether another thread failed (and never unlocks). */
const LOCK_RECHECK_MS = 100;

/** Takes the write lock; false if another thread failed meanwhile (then nothing more is written). */
function lockWrites(ctl: Int32Array, wait: boolean): boolean {
  for (;;) {
    if (Atomics.compareExchange(ctl, WRITE_LOCK, 0, 1) === 0) return true;
    if (!wait || Atomics.load(ctl, FAILED) !== 0) return false;
    Atomics.wait(ctl, WRITE_LOCK, 1, LOCK_RECHECK_MS);
  }
}

function unlockWrites(ctl: Int32Array): void {
  Atomics.store(ctl, WRITE_LOCK, 0);
  Atomics.notify(ctl, WRITE_LOCK, 1);
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

function pwritevFull(fd: number, parts: Buffer[], position: number): void {
  let written = fs.writevSync(fd, parts, position);
  const total = parts.reduce((a, p) => a + p.length, 0);
  if (written === total) return;
  // A short write (rare on regular files): finish piece by piece.
  let at = position + written;
  for (const p of parts) {
    if (written >= p.length) {
      written -= p.length;
      continue;
    }
    let off = written;
    written = 0;
    while (off < p.length) {
      const n = fs.writeSync(fd, p, off, p.length - off, at);
      off += n;
      at += n;
    }
  }
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
  const deferred: Array<{ parts: Buffer[]; position: number }> = [];
  /** Writes the deferred batches if this thread gets the lock (waiting for it if `wait`). */
  const flush = (wait: boolean): void => {
    if (!lockWrites(ctl, wait)) return;
    try {
      for (const d of deferred) pwritevFull(job.outFd, d.parts, d.position);
      deferred.length = 0;
    } finally {
      unlockWrites(ctl);
    }
  };
  trace('file job: start');
  try {
    for (;;) {
      if (Atomics.load(ctl, FAILED) !== 0) return null;
      const k = Atomics.add(ctl, NEXT, 1);
      if (k >= batches) {
        flush(true);
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
      deferred.push({ parts, position: job.outStart + first * outChunk });
      flush(deferred.length >= MAX_DEFERRED);
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
