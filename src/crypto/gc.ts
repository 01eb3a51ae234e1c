/**
 * Every chunk's output comes back from node:crypto as a fresh 64 KiB buffer
 * that is copied into shared memory and dropped. V8 frees such buffers only
 * at a garbage collection, which chunk work alone triggers too rarely (tens
 * of MB of dead buffers per thread). A minor GC (~0.1 ms) every few MiB of
 * chunks keeps the resident size flat. It is reached through V8's documented
 * flag API; if that ever fails, everything still works, with a larger RSS.
 */
import { createRequire } from 'node:module';

/**
 * The `gc` function: the global one if the process runs with --expose-gc,
 * else taken from a fresh context while the flag is briefly on. The flag is
 * switched off again at once: V8 checks a hash of its flags before using a
 * code cache, and with the flag left on every built-in module compiled
 * later (all of a worker's bootstrap) misses Node's embedded code cache —
 * measured: a worker's start-up CPU ~35 ms with the flag restored against
 * ~75 ms with it left on.
 */
function takeMinorGc(): (() => void) | null {
  try {
    const global = (globalThis as { gc?: (opts: { type: 'minor' }) => void }).gc;
    if (typeof global === 'function') return () => global({ type: 'minor' });
    const require = createRequire(import.meta.url);
    const v8 = require('node:v8') as typeof import('node:v8');
    v8.setFlagsFromString('--expose-gc');
    try {
      const gc = (require('node:vm') as typeof import('node:vm')).runInNewContext('gc') as (opts: { type: 'minor' }) => void;
      return () => gc({ type: 'minor' });
    } finally {
      v8.setFlagsFromString('--no-expose-gc');
    }
  } catch {
    return null;
  }
}

/**
 * Taken on first use, not at import: the fresh context costs ~6 ms of CPU,
 * which a command on a small file (and every worker thread's start) paid
 * before its first byte for collections it never made.
 */
let minorGc: (() => void) | null | undefined;

/**
 * glibc returns freed heap memory to the kernel whenever more than
 * M_TRIM_THRESHOLD (128 KiB by default) is free at the top of the heap, so
 * each collection of chunk buffers shrinks the heap and the next chunks fault
 * fresh zeroed pages back in: a third of the CPU time went to that. glibc
 * raises the threshold by itself (mallopt(3), "dynamic mmap threshold") to
 * twice the size of the largest mmap-ed block freed so far; freeing one
 * 16 MiB block once sets it to 32 MiB, which comfortably holds the garbage
 * of one collection period.
 */
let primed = false;

// 2 MiB: peak RSS ~8 MiB lower than 4 MiB (256 MiB encrypt, 2 threads: 76–78 vs 84–88 MiB), same CPU
const EVERY_BYTES = 2 * 1024 * 1024;
let since = 0;

/** Call after processing `bytes` of chunks on this thread. */
export function collectChunkGarbage(bytes: number): void {
  since += bytes;
  if (since < EVERY_BYTES) return;
  since = 0;
  minorGc ??= takeMinorGc();
  if (!minorGc) return;
  if (!primed) {
    primed = true;
    Buffer.allocUnsafeSlow(16 * 1024 * 1024); // dropped at once: freed by the collection below
  }
  minorGc();
}
