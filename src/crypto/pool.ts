/**
 * Executors for chunk batches: `inlineExecutor` runs a batch on the calling
 * thread; `ChunkPool` spreads batches over worker threads (one per core by
 * default). The pool is shared by every pipeline in the process, created on
 * first use, and keeps the process alive only while it has work.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { collectChunkGarbage } from './gc.js';
import { openBatch, sealBatch, type BatchResult } from './stream.js';
import type { FileJob, FileJobFailure } from './filemode.js';
import type { BatchJob, FromWorker, ToWorker } from './pool-protocol.js';
import { chunkWorkerUrl } from './worker-source.js';
import { trace } from './trace.js';
import { FAILED } from './write-turns.js';

export type JobSpec = Omit<BatchJob, 'id'>;

export interface ChunkExecutor {
  run(job: JobSpec): Promise<BatchResult>;
}

export const inlineExecutor: ChunkExecutor = {
  run(job) {
    const input = new Uint8Array(job.buffer, job.inOffset, job.inLength);
    const output = new Uint8Array(job.buffer, job.outOffset, job.outCapacity);
    try {
      const result: BatchResult =
        job.type === 'seal'
          ? { ok: true, length: sealBatch(job.key, job.counter, job.final, input, output) }
          : openBatch(job.key, job.counter, job.final, input, output);
      collectChunkGarbage(job.inLength);
      return Promise.resolve(result);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  },
};

interface Pending {
  readonly resolve: (msg: FromWorker) => void;
  readonly reject: (e: Error) => void;
  readonly worker: PoolWorker;
}

interface PoolWorker {
  readonly worker: Worker;
  busy: number;
}

export class ChunkPool implements ChunkExecutor {
  readonly size: number;
  readonly #workers: PoolWorker[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;

  constructor(size: number) {
    this.size = size;
    for (let i = 0; i < size; i++) this.#workers.push(this.#spawn());
  }

  #spawn(): PoolWorker {
    trace('pool: spawning a worker');
    const worker = new Worker(chunkWorkerUrl());
    const pw: PoolWorker = { worker, busy: 0 };
    worker.on('message', (msg: FromWorker) => {
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#settle(msg.id, p);
      if (msg.type === 'error') p.reject(new Error(`chunk worker: ${msg.message}`));
      else p.resolve(msg);
    });
    worker.on('error', (err) => this.#failWorker(pw, err));
    worker.on('exit', (code) => this.#failWorker(pw, new Error(`chunk worker exited with code ${code}`)));
    // Only after the listeners: adding a 'message' listener refs the worker's
    // port again, and an idle worker ref'd that way kept a failed command's
    // process alive forever (a prestarted pool that never got a job).
    worker.unref();
    return pw;
  }

  #settle(id: number, p: Pending): void {
    this.#pending.delete(id);
    if (--p.worker.busy === 0) p.worker.worker.unref();
  }

  #failWorker(pw: PoolWorker, err: Error): void {
    for (const [id, p] of this.#pending) {
      if (p.worker !== pw) continue;
      this.#settle(id, p);
      p.reject(err);
    }
    const i = this.#workers.indexOf(pw);
    if (i >= 0) this.#workers.splice(i, 1, this.#spawn());
  }

  /** Batches submitted and not yet finished. */
  get pending(): number {
    return this.#pending.size;
  }

  #post(pw: PoolWorker, msg: ToWorker): Promise<FromWorker> {
    return new Promise<FromWorker>((resolve, reject) => {
      this.#pending.set(msg.id, { resolve, reject, worker: pw });
      if (pw.busy++ === 0) pw.worker.ref();
      pw.worker.postMessage(msg);
    });
  }

  async run(job: JobSpec): Promise<BatchResult> {
    let pw = this.#workers[0]!;
    for (const w of this.#workers) if (w.busy < pw.busy) pw = w;
    const reply = await this.#post(pw, { ...job, id: this.#nextId++ });
    if (reply.type !== 'result') throw new Error(`chunk worker: unexpected ${reply.type} reply`);
    return reply.result;
  }

  /**
   * Has every worker take part in a file job. Resolves only when all of them
   * have stopped (they write to the caller's file descriptors), rejecting
   * then with the first error.
   */
  async runFileJob(job: FileJob): Promise<FileJobFailure[]> {
    const settled = await Promise.allSettled(
      this.#workers.map(async (pw) => {
        try {
          const reply = await this.#post(pw, { ...job, type: 'file', id: this.#nextId++ });
          if (reply.type !== 'file-result') throw new Error(`chunk worker: unexpected ${reply.type} reply`);
          return reply.failure;
        } catch (err) {
          Atomics.store(new Int32Array(job.control), FAILED, 1); // stop the other threads
          throw err;
        }
      }),
    );
    const rejected = settled.find((r) => r.status === 'rejected');
    if (rejected) throw rejected.reason;
    return settled.map((r) => (r.status === 'fulfilled' ? r.value : null));
  }

  /** Stops the workers (tests; a CLI process simply exits). */
  async close(): Promise<void> {
    const ws = this.#workers.splice(0);
    for (const w of ws) w.worker.removeAllListeners('exit');
    await Promise.all(ws.map((w) => w.worker.terminate()));
  }
}

let shared: ChunkPool | undefined;

/**
 * Worker count: $SEALFLOW_CRYPTO_THREADS, else one per available core but
 * one (at most 7): the pipeline's own thread also seals and opens batches
 * whenever the pool has a queue, so every core works without paying for an
 * extra worker's startup and memory.
 */
export function defaultPoolSize(): number {
  const env = process.env['SEALFLOW_CRYPTO_THREADS'];
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  return Math.max(1, Math.min(7, os.availableParallelism() - 1));
}

/** The process-wide pool, or null when parallelism is off (0 threads). */
export function sharedPool(): ChunkPool | null {
  const size = defaultPoolSize();
  if (size === 0) return null;
  shared ??= new ChunkPool(size);
  return shared;
}
