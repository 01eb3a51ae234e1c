/**
 * The payload pipeline: reads batches of chunks from a source into shared
 * memory slots, has them sealed or opened (inline, or on the worker pool once
 * the payload is large enough to repay it), and writes the results to a sink
 * in order. Reading, crypto and writing overlap; memory is bounded by the
 * number of slots. A batch's output reaches the sink only after every chunk
 * in it authenticated.
 */
import { CorruptFileError } from './errors.js';
import { readFull, type ByteSink, type ByteSource } from './io.js';
import { ChunkPool, inlineExecutor, sharedPool, type ChunkExecutor } from './pool.js';
import { CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, chunkCount, type BatchResult } from './stream.js';

export interface PipelineOptions {
  /** Chunks per batch (default 16: 1 MiB of plaintext). */
  readonly chunksPerBatch?: number;
  /** Batches in flight at once (default 8). */
  readonly slots?: number;
  /**
   * Payload bytes processed inline before batches go to the worker pool
   * (default 4 MiB; 0 = pool from the start; Infinity = never).
   */
  readonly parallelThreshold?: number;
  /** Executor for batches past the threshold (default: the shared pool). */
  readonly executor?: ChunkExecutor;
}

interface Slot {
  readonly buffer: SharedArrayBuffer;
}

interface InFlight {
  readonly slot: Slot;
  readonly result: Promise<BatchResult>;
}

/** A tiny async queue: `shift` waits for an item; `fail` wakes every waiter with an error. */
class Queue<T> {
  readonly #items: T[] = [];
  readonly #waiters: Array<{ resolve: (v: T) => void; reject: (e: unknown) => void }> = [];
  #error: unknown = null;
  get length(): number {
    return this.#items.length;
  }
  push(item: T): void {
    const w = this.#waiters.shift();
    if (w) w.resolve(item);
    else this.#items.push(item);
  }
  shift(): Promise<T> {
    if (this.#error !== null) return Promise.reject(this.#error);
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }
  fail(err: unknown): void {
    this.#error = err;
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }
}

const END = Symbol('end');

/** Mix inline work with the pool (SEALFLOW_CRYPTO_HYBRID=0 turns it off, for measurement). */
const hybrid = process.env['SEALFLOW_CRYPTO_HYBRID'] !== '0';

function poolBusy(pool: ChunkExecutor): boolean {
  return pool instanceof ChunkPool && pool.pending >= 2 * pool.size;
}

/**
 * Seals (`op = 'seal'`) or opens (`'open'`) the chunk stream read from
 * `source` with the 32-byte payload `key`, writing the result to `sink`.
 * Rejects with CorruptFileError naming the chunk when opening fails.
 */
export async function runPayload(
  op: 'seal' | 'open',
  key: Uint8Array,
  source: ByteSource,
  sink: ByteSink,
  options: PipelineOptions = {},
): Promise<void> {
  const perBatch = options.chunksPerBatch ?? 16;
  const maxSlots = options.slots ?? 8;
  const threshold = options.parallelThreshold ?? 4 * 1024 * 1024;
  const inCap = perBatch * (op === 'seal' ? CHUNK_SIZE : ENCRYPTED_CHUNK_SIZE);
  const outCap = perBatch * (op === 'seal' ? ENCRYPTED_CHUNK_SIZE : CHUNK_SIZE);
  const outOffset = inCap + 64; // past the read-ahead byte, aligned

  const free = new Queue<Slot>();
  const ready = new Queue<InFlight | typeof END>();
  let allocated = 0;
  const acquire = (): Promise<Slot> => {
    if (free.length === 0 && allocated < maxSlots) {
      allocated++;
      return Promise.resolve({ buffer: new SharedArrayBuffer(outOffset + outCap) });
    }
    return free.shift();
  };

  const produce = async (): Promise<void> => {
    let counter = 0;
    let processed = 0;
    let carry: number | null = null; // the byte read ahead past the previous batch
    let pool: ChunkExecutor | null = null;
    for (;;) {
      const slot = await acquire();
      // Read one byte past the batch: it tells whether this batch is the last
      // (and starts the next one) without a separate read.
      const input = new Uint8Array(slot.buffer, 0, inCap + 1);
      let n = 0;
      if (carry !== null) {
        input[0] = carry;
        n = 1;
      }
      n += await readFull(source, input.subarray(n));
      const final = n <= inCap;
      carry = final ? null : input[inCap]!;
      if (!final) n = inCap;
      if (processed >= threshold) pool ??= options.executor ?? sharedPool();
      // The calling thread works too, whenever the pool already has a queue.
      const executor = pool && !(hybrid && poolBusy(pool)) ? pool : inlineExecutor;
      const result = executor.run({
        type: op,
        key,
        counter,
        final,
        buffer: slot.buffer,
        inOffset: 0,
        inLength: n,
        outOffset,
        outCapacity: outCap,
      });
      result.catch(() => undefined); // observed by the consumer; never unhandled
      ready.push({ slot, result });
      counter += chunkCount(op, n);
      processed += n;
      if (final) {
        ready.push(END);
        return;
      }
    }
  };

  const consume = async (): Promise<void> => {
    for (;;) {
      const item = await ready.shift();
      if (item === END) return;
      const r = await item.result;
      if (!r.ok) throw new CorruptFileError({ chunk: r.chunk }, r.reason);
      await sink.write(new Uint8Array(item.slot.buffer, outOffset, r.length));
      free.push(item.slot);
    }
  };

  let failure: { error: unknown } | null = null;
  const fail = (error: unknown): void => {
    failure ??= { error };
    free.fail(error);
    ready.fail(error);
  };
  await Promise.all([produce().catch(fail), consume().catch(fail)]);
  if (failure) throw (failure as { error: unknown }).error;
}
