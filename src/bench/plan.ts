/** Which examples, sizes and thread counts a `sealflow bench` invocation runs. */
import os from 'node:os';
import { InputError } from '../errors.js';
import { EXAMPLES } from '../../examples/catalog.js';

export type Mode = 'quick' | 'full';

/**
 * Sizes of `--full`, chosen so that N=3 (its default) of native, none-plain,
 * none-enc and sim-enc finishes within about an hour on a 2-core machine:
 * the largest sizes for word count (1 GB), k-means (10^7 points) and
 * diagnosis (100,000 records), and for dna-alignment 100,000 simulated read
 * pairs — the study's large input (the catalog's 3M pairs) takes well over
 * 10 min per run here, so its configurations × thread counts × N alone would
 * exceed the hour; reach it with `--sizes dna-alignment=3M`.
 */
export const FULL_SIZES: Readonly<Record<string, readonly string[]>> = {
  'word-count': ['10MB', '1GB'],
  'dna-alignment': ['lambda', '100k'],
  'distributed-k-means': ['1e5', '1e7'],
  'diagnosis-recommendation': ['10k', '100k'],
};

/** The example whose tools take a thread count, for the thread-scaling study. */
export const SCALING_EXAMPLE = 'dna-alignment';

export interface PlannedCase {
  readonly example: string;
  readonly size: string;
  readonly threads: number | null;
}

/** 1, 2, 4, … up to `cores`, and `cores` itself. */
export function threadCounts(cores: number): number[] {
  const out: number[] = [];
  for (let t = 1; t <= cores; t *= 2) out.push(t);
  if (out.at(-1) !== cores) out.push(cores);
  return out;
}

export interface PlanOptions {
  readonly mode: Mode;
  readonly only: readonly string[] | null;
  /** `size` for every selected example, or `example=size`. */
  readonly sizes: readonly string[] | null;
  readonly threads: readonly number[] | null;
  readonly cores?: number;
}

export function planCases(o: PlanOptions): PlannedCase[] {
  const names = o.only ?? Object.keys(EXAMPLES);
  for (const n of names) if (!EXAMPLES[n]) throw new InputError(`--only ${n}: no such example (have: ${Object.keys(EXAMPLES).join(', ')})`);
  for (const s of o.sizes ?? []) {
    const ex = s.includes('=') ? s.slice(0, s.indexOf('=')) : null;
    if (ex !== null && !names.includes(ex)) throw new InputError(`--sizes ${s}: example '${ex}' is not selected (${names.join(', ')})`);
  }
  const threads = o.threads ?? threadCounts(o.cores ?? os.availableParallelism());
  const cases: PlannedCase[] = [];
  for (const name of names) {
    const ex = EXAMPLES[name]!;
    const own = (o.sizes ?? []).filter((s) => s.startsWith(`${name}=`)).map((s) => s.slice(name.length + 1));
    const all = (o.sizes ?? []).filter((s) => !s.includes('='));
    const sizes = own.length > 0 ? own : all.length > 0 ? all : o.mode === 'quick' ? ex.sizes.quick : (FULL_SIZES[name] ?? ex.sizes.full);
    for (const size of sizes) {
      if (name === SCALING_EXAMPLE) for (const t of threads) cases.push({ example: name, size, threads: t });
      else cases.push({ example: name, size, threads: null });
    }
  }
  return cases;
}
