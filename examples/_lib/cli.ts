/**
 * Helpers shared by the example generators and native baselines, each of
 * which is both an importable function and a small CLI
 * (`node dist/examples/<name>/<tool>.js ...`).
 */
import { pathToFileURL } from 'node:url';

/** True when the module with this `import.meta.url` is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(script).href === moduleUrl;
}

const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  K: 1e3,
  KB: 1e3,
  M: 1e6,
  MB: 1e6,
  G: 1e9,
  GB: 1e9,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
};

/** Parses `100MB` (10^6), `10MiB` (2^20), `1GB`, `4096`. Throws a message naming the bad value. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = UNITS[(m?.[2] ?? '').toUpperCase()];
  if (!m || unit === undefined) {
    throw new Error(`invalid size '${text}': use a number with an optional unit (B, KB, MB, GB, KiB, MiB, GiB)`);
  }
  return Math.floor(Number(m[1]) * unit);
}

/** Parses a count such as `10000`, `1e7`, `3M` (10^6) or `100k`. */
export function parseCount(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([kKmM]?)\s*$/.exec(text);
  if (!m) throw new Error(`invalid count '${text}': use e.g. 10000, 1e7, 100k or 3M`);
  const mult = m[2] === '' ? 1 : m[2]?.toLowerCase() === 'k' ? 1e3 : 1e6;
  const n = Math.round(Number(m[1]) * mult);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`invalid count '${text}'`);
  return n;
}

/** Runs a CLI main function: prints an error message (no stack) and exits 2 on bad usage, 1 on failure. */
export function runMain(main: (argv: string[]) => Promise<void>): void {
  main(process.argv.slice(2)).catch((err: unknown) => {
    const usage = err instanceof UsageError;
    process.stderr.write(`${usage ? 'usage error' : 'error'}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = usage ? 2 : 1;
  });
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The buffered writer of the generators (examples copy it into lib/ for their tasks). */
export { TextSink } from './text-sink.js';
