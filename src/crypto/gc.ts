/**
 * Every chunk's output comes back from node:crypto as a fresh 64 KiB buffer
 * that is copied into shared memory and dropped. V8 frees such buffers only
 * at a garbage collection, which chunk work alone triggers too rarely (tens
 * of MB of dead buffers per thread). A minor GC (~0.1 ms) every few MiB of
 * chunks keeps the resident size flat. It is reached through V8's documented
 * flag API; if that ever fails, everything still works, with a larger RSS.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

const minorGc = ((): (() => void) | null => {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as (opts: { type: 'minor' }) => void;
    return () => gc({ type: 'minor' });
  } catch {
    return null;
  }
})();

const EVERY_BYTES = 4 * 1024 * 1024;
let since = 0;

/** Call after processing `bytes` of chunks on this thread. */
export function collectChunkGarbage(bytes: number): void {
  since += bytes;
  if (minorGc && since >= EVERY_BYTES) {
    since = 0;
    minorGc();
  }
}
