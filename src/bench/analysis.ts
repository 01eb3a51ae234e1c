/** Derived figures: per-example fixed/proportional split, thread scaling and the study's 2×-threads comparison. */
import { SCALING_EXAMPLE } from './plan.js';
import type { BenchResults, CaseResult } from './results.js';
import { splitFixedProportional } from './stats.js';

export const median = (c: CaseResult, id: string): number | null => c.configs.find((r) => r.id === id)?.wall?.median ?? null;

/** The case an example's size is represented by in per-size tables: dna-alignment at its largest thread count. */
export function representative(results: BenchResults): CaseResult[] {
  const best = new Map<string, CaseResult>();
  for (const c of results.cases) {
    const key = `${c.example}\u0000${c.size}`;
    const prev = best.get(key);
    if (!prev || (c.threads ?? 0) > (prev.threads ?? 0)) best.set(key, c);
  }
  return [...best.values()];
}

export interface Split { example: string; config: string; sizes: string[]; fixedS: number; factor: number }

/** sealflow = fixed + factor × native over an example's sizes, per configuration (needs ≥ 2 sizes). */
export function splits(results: BenchResults): Split[] {
  const out: Split[] = [];
  const cases = representative(results);
  for (const ex of new Set(cases.map((c) => c.example))) {
    const mine = cases.filter((c) => c.example === ex);
    for (const id of results.matrix.filter((m) => m.kind === 'sealflow' && m.notRun === null).map((m) => m.id)) {
      const pts = mine.flatMap((c) => {
        const nat = median(c, 'native');
        const sf = median(c, id);
        return nat !== null && sf !== null ? [{ native: nat, sealflow: sf, size: c.size }] : [];
      });
      const s = splitFixedProportional(pts);
      if (s) out.push({ example: ex, config: id, sizes: pts.map((p) => p.size), fixedS: s.fixed, factor: s.factor });
    }
  }
  return out;
}

export interface Scaling {
  size: string;
  threads: number[];
  /** Median wall per configuration id, per thread count (null: not measured or failed). */
  series: { id: string; teeActive: boolean; values: (number | null)[] }[];
  /** x at 2t vs native at t: gain = native(t) / x(2t) − 1 (positive: x with twice the threads is faster). */
  doubled: { id: string; teeActive: boolean; t: number; gain: number }[];
}

export function scaling(results: BenchResults): Scaling[] {
  const out: Scaling[] = [];
  const dna = results.cases.filter((c) => c.example === SCALING_EXAMPLE && c.threads !== null);
  for (const size of new Set(dna.map((c) => c.size))) {
    const cases = dna.filter((c) => c.size === size).sort((a, b) => (a.threads ?? 0) - (b.threads ?? 0));
    const threads = cases.map((c) => c.threads as number);
    const ran = results.matrix.filter((m) => m.notRun === null);
    const series = ran.map((m) => ({ id: m.id, teeActive: m.teeActive, values: cases.map((c) => median(c, m.id)) }));
    const doubled: Scaling['doubled'] = [];
    const native = series.find((s) => s.id === 'native');
    for (const s of series) {
      if (!native) continue;
      threads.forEach((t, i) => {
        const j = threads.indexOf(2 * t);
        const nat = native.values[i];
        const x = j >= 0 ? s.values[j] : null;
        if (nat != null && x != null) doubled.push({ id: s.id, teeActive: s.teeActive, t, gain: nat / x - 1 });
      });
    }
    out.push({ size, threads, series, doubled });
  }
  return out;
}
