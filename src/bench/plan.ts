/** Which examples, sizes and thread counts a `sealflow bench` invocation runs. */
import os from 'node:os';
import { InputError } from '../errors.js';
import { EXAMPLES } from '../../examples/catalog.js';

export type Mode = 'quick' | 'full';

/**
 * Sizes of `--full`, chosen so that N=5 (the default, cli/commands/bench.ts
 * DEFAULT_RUNS) of native, none-plain, none-enc and sim-enc finishes within
 * about an hour on this 2-core machine when it is quiet (N=3 took 34 min at
 * load 13–16): the largest sizes for word count (1 GB), k-means
 * (10^7 points) and diagnosis (100,000 records); for dna-alignment 30,000
 * simulated read pairs (100,000 pairs took 75 s per native run under a load
 * of 12). The study's large input (the catalog's 3M pairs) is a separate
 * invocation: `--full --only dna-alignment --sizes dna-alignment=3M`
 * (bench/RESULTS.md, "DNA alignment at 3M pairs", has its duration).
 */
export const FULL_SIZES: Readonly<Record<string, readonly string[]>> = {
  'word-count': ['10MB', '1GB'],
  'dna-alignment': ['lambda', '30k'],
  'distributed-k-means': ['1e5', '1e7'],
  'diagnosis-recommendation': ['10k', '100k'],
};

/** The order examples run in at each size rank (cheapest first; dna-alignment's large input is not a target size). */
export const RUN_ORDER: readonly string[] = ['diagnosis-recommendation', 'distributed-k-means', 'word-count', 'dna-alignment'];

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
  const cases: (PlannedCase & { rank: number })[] = [];
  for (const name of names) {
    const ex = EXAMPLES[name]!;
    const own = (o.sizes ?? []).filter((s) => s.startsWith(`${name}=`)).map((s) => s.slice(name.length + 1));
    const all = (o.sizes ?? []).filter((s) => !s.includes('='));
    const sizes = own.length > 0 ? own : all.length > 0 ? all : o.mode === 'quick' ? ex.sizes.quick : (FULL_SIZES[name] ?? ex.sizes.full);
    sizes.forEach((size, rank) => {
      if (name === SCALING_EXAMPLE) for (const t of threads) cases.push({ example: name, size, threads: t, rank });
      else cases.push({ example: name, size, threads: null, rank });
    });
  }
  // Every example's smaller sizes before any larger one, and the larger ones cheapest first: a run cut
  // short (see the checkpoint) still has every example, and the targets' sizes before the study's extra.
  const order = (ex: string) => RUN_ORDER.indexOf(ex) < 0 ? RUN_ORDER.length : RUN_ORDER.indexOf(ex);
  return cases
    .map((c, i) => ({ c, i }))
    .sort((a, b) => a.c.rank - b.c.rank || order(a.c.example) - order(b.c.example) || a.i - b.i)
    .map(({ c: { rank: _rank, ...c } }) => c);
}
