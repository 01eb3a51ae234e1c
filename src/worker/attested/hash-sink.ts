/**
 * Where a pulled ciphertext goes (docs/protocol.md §15.3): a new 0600 file,
 * SHA-256 computed over exactly the bytes written. Small transfers do both
 * on the event loop; large ones hand 1 MiB batches to a worker thread, so
 * TLS decryption (event loop) and hashing + writing (the thread) can use
 * two cores (SHA-256 alone costs about as much CPU as TLS; bench/transfer
 * compares both ways).
 *
 * The thread's code is a string (`eval`): the executor runs as an in-memory
 * bundle (§9), with no file a worker thread could be started from.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';

export interface Sink {
  /** Takes the bytes (copies what it keeps); resolves at once unless too much is in flight. */
  write(b: Uint8Array): void | Promise<void>;
  /** All written: the SHA-256 (hex) of everything. */
  end(): Promise<string>;
  /** Abandon; the caller removes the file. */
  destroy(): Promise<void>;
}

/** At or above this size a transfer is hashed and written off the event loop. */
export const THREADED_FROM = 8 << 20;
const BATCH = 1 << 20;
const MAX_IN_FLIGHT = 16 << 20;

/** Writes and hashes on the event loop, coalescing the TLS records' 16 KiB chunks into 1 MiB writes (synchronous: the file is in the worker's own scratch). */
function inlineSink(dest: string): Sink {
  const fd = fs.openSync(dest, 'wx', 0o600);
  const h = createHash('sha256');
  const buf = new Uint8Array(1 << 20);
  let used = 0;
  let open = true;
  const flush = () => {
    for (let off = 0; off < used; ) off += fs.writeSync(fd, buf, off, used - off);
    used = 0;
  };
  const close = () => {
    if (open) fs.closeSync(fd);
    open = false;
  };
  return {
    write(b) {
      h.update(b);
      for (let off = 0; off < b.length; ) {
        const n = Math.min(b.length - off, buf.length - used);
        buf.set(b.subarray(off, off + n), used);
        used += n;
        off += n;
        if (used === buf.length) flush();
      }
    },
    async end() {
      flush();
      close();
      return h.digest('hex');
    },
    async destroy() {
      close();
    },
  };
}

const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const fd = fs.openSync(workerData.dest, 'wx', 0o600);
const h = createHash('sha256');
parentPort.on('message', (m) => {
  if (m === null) {
    fs.closeSync(fd);
    parentPort.postMessage({ sha256: h.digest('hex') });
    return;
  }
  const b = new Uint8Array(m);
  h.update(b);
  for (let off = 0; off < b.length; ) off += fs.writeSync(fd, b, off);
  // The buffer goes back to be filled again: no fresh 4 MiB allocation (and page faults) per batch.
  parentPort.postMessage({ done: b.length, buf: m }, [m]);
});
`;

function threadedSink(dest: string): Sink {
  const worker = new Worker(THREAD, { eval: true, workerData: { dest } });
  let batch = new Uint8Array(BATCH);
  let used = 0;
  let inFlight = 0;
  let failed: Error | null = null;
  let drained: (() => void) | null = null;
  let finished: ((sha: string) => void) | null = null;
  const onFail = (e: Error) => {
    failed = e;
    drained?.();
  };
  worker.on('error', onFail);
  worker.on('exit', (code) => code !== 0 && onFail(new Error(`the hashing thread exited (${code})`)));
  const free: Uint8Array<ArrayBuffer>[] = [];
  worker.on('message', (m: { done?: number; buf?: ArrayBuffer; sha256?: string }) => {
    if (m.done !== undefined) {
      inFlight -= m.done;
      if (m.buf?.byteLength === BATCH) free.push(new Uint8Array(m.buf));
      if (inFlight <= MAX_IN_FLIGHT / 2 && drained) {
        const d = drained;
        drained = null;
        d();
      }
    }
    if (m.sha256 !== undefined) finished?.(m.sha256);
  });
  const flush = () => {
    if (used === 0) return;
    const buf = used === batch.length ? batch.buffer : batch.buffer.slice(0, used);
    worker.postMessage(buf, [buf as ArrayBuffer]);
    inFlight += used;
    batch = free.pop() ?? new Uint8Array(BATCH);
    used = 0;
  };
  return {
    write(b) {
      if (failed) throw failed;
      for (let off = 0; off < b.length; ) {
        const n = Math.min(b.length - off, batch.length - used);
        batch.set(b.subarray(off, off + n), used);
        used += n;
        off += n;
        if (used === batch.length) flush();
      }
      if (inFlight > MAX_IN_FLIGHT) return new Promise<void>((r) => (drained = r));
    },
    end() {
      flush();
      return new Promise<string>((resolve, reject) => {
        if (failed) return reject(failed);
        finished = (sha) => {
          void worker.terminate();
          resolve(sha);
        };
        worker.once('error', reject);
        worker.postMessage(null);
      });
    },
    async destroy() {
      await worker.terminate();
    },
  };
}

export function hashingSink(dest: string, size: number, threadedFrom = THREADED_FROM): Sink {
  return size >= threadedFrom ? threadedSink(dest) : inlineSink(dest);
}
