/**
 * Threads of a file job (filemode.ts) take turns writing the output. Two
 * threads writing one file at once contend for its inode lock in the kernel,
 * and the waiter spins: `rwsem_spin_on_owner` was 12 % of the samples of a
 * 2 GiB decryption with both threads writing freely. Here the lock is a word
 * of the job's shared `control`; a thread that finds it taken keeps its
 * finished batch and goes on to the next one, and writes both at its next
 * turn. It waits (asleep, never spinning) only once it holds `maxDeferred`
 * batches, or at the end.
 */
import fs from 'node:fs';

/** Int32 indices into a file job's `control`. */
export const NEXT = 0;
export const FAILED = 1;
export const WRITE_LOCK = 2;
/** Size of a file job's `control`. */
export const CONTROL_BYTES = 12;

/** How long a waiting writer sleeps before it looks again whether another thread failed (a failed thread may never unlock). */
const RECHECK_MS = 100;

/** pwritev until all of `parts` is written at `position` (short writes are rare on regular files, but finished). */
export function pwritevFull(fd: number, parts: readonly Buffer[], position: number): void {
  let written = fs.writevSync(fd, parts as Buffer[], position);
  const total = parts.reduce((a, p) => a + p.length, 0);
  if (written === total) return;
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

export class WriteTurns {
  readonly #ctl: Int32Array;
  readonly #fd: number;
  readonly #maxDeferred: number;
  readonly #queue: Array<{ parts: readonly Buffer[]; position: number }> = [];

  constructor(control: Int32Array, fd: number, maxDeferred = 2) {
    this.#ctl = control;
    this.#fd = fd;
    this.#maxDeferred = maxDeferred;
  }

  /** Batches kept, not yet written. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Queues `parts` for `position` and writes the queue if the output is free;
   * if it is not, waits for it only when `maxDeferred` batches are queued.
   */
  offer(parts: readonly Buffer[], position: number): void {
    this.#queue.push({ parts, position });
    this.#flush(this.#queue.length >= this.#maxDeferred);
  }

  /** Writes what is queued, waiting for the turn. False (nothing written) if another thread failed meanwhile. */
  finish(): boolean {
    if (this.#queue.length > 0) this.#flush(true);
    return this.#queue.length === 0;
  }

  #flush(wait: boolean): void {
    if (!this.#lock(wait)) return;
    try {
      while (this.#queue.length > 0) {
        const w = this.#queue[0]!;
        pwritevFull(this.#fd, w.parts, w.position);
        this.#queue.shift();
      }
    } finally {
      Atomics.store(this.#ctl, WRITE_LOCK, 0);
      Atomics.notify(this.#ctl, WRITE_LOCK, 1);
    }
  }

  #lock(wait: boolean): boolean {
    for (;;) {
      if (Atomics.compareExchange(this.#ctl, WRITE_LOCK, 0, 1) === 0) return true;
      if (!wait || Atomics.load(this.#ctl, FAILED) !== 0) return false;
      Atomics.wait(this.#ctl, WRITE_LOCK, 1, RECHECK_MS);
    }
  }
}
