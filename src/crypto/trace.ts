/**
 * Opt-in timeline of a crypto command, for measuring where its time goes:
 * with SEALFLOW_CRYPTO_TRACE=1, `trace(label)` writes one line to standard
 * error with the milliseconds since the process started (on every thread:
 * workers print the same clock). Off by default, and then costs one branch.
 */
import fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';

export const tracing = process.env['SEALFLOW_CRYPTO_TRACE'] === '1';

/** The process's start (epoch ms): the main thread's time origin, handed to workers in the environment. */
const origin = ((): number => {
  if (!tracing) return 0;
  if (isMainThread) {
    process.env['SEALFLOW_CRYPTO_TRACE_ORIGIN'] ??= String(performance.timeOrigin);
  }
  return Number(process.env['SEALFLOW_CRYPTO_TRACE_ORIGIN'] ?? performance.timeOrigin);
})();

export function now(): number {
  return performance.timeOrigin + performance.now() - origin;
}

export function trace(label: string): void {
  if (!tracing) return;
  fs.writeSync(2, `trace ${now().toFixed(1).padStart(7)} ms ${isMainThread ? 'main  ' : 'worker'} ${label}\n`);
}
