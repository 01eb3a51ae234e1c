/**
 * Issue 7's targets, checked against one invocation's medians: with
 * encryption on, at the largest sizes, sealflow ≤ factor × native + 1.5 s
 * (factor 1.10; 1.25 for distributed-k-means, whose rounds re-read their
 * partitions). The verdict is computed for every sealflow configuration that
 * ran (the plain ones for reference) and says whether the size measured is the
 * one the issue names.
 */
import { EXAMPLES } from '../../examples/catalog.js';
import { median } from './analysis.js';
import type { BenchResults } from './results.js';

export interface Target {
  readonly factor: number;
  readonly fixedS: number;
  /** The size the issue states the target at (the catalog's largest). */
  readonly size: string;
}

export const TARGETS: Readonly<Record<string, Target>> = Object.fromEntries(Object.entries(EXAMPLES).map(([name, ex]) => [name, {
  factor: name === 'distributed-k-means' ? 1.25 : 1.1,
  fixedS: 1.5,
  size: ex.sizes.full.at(-1) ?? '',
}]));

export interface Verdict {
  readonly example: string;
  readonly size: string;
  readonly threads: number | null;
  readonly config: string;
  readonly encryption: boolean;
  readonly nativeS: number;
  readonly sealflowS: number;
  readonly allowedS: number;
  readonly met: boolean;
  /** Whether `size` is the size the issue states the target at. */
  readonly atTargetSize: boolean;
}

/** Verdicts at each example's largest size measured (every thread count for dna-alignment). */
export function verdicts(results: BenchResults): Verdict[] {
  const out: Verdict[] = [];
  const configs = results.matrix.filter((m) => m.kind === 'sealflow' && m.notRun === null);
  for (const ex of new Set(results.cases.map((c) => c.example))) {
    const target = TARGETS[ex];
    if (!target) continue;
    const mine = results.cases.filter((c) => c.example === ex && c.prepareError === undefined);
    const largest = mine.at(-1)?.size;
    for (const c of mine.filter((x) => x.size === largest)) {
      const nativeS = median(c, 'native');
      if (nativeS === null) continue;
      for (const m of configs) {
        const sealflowS = median(c, m.id);
        if (sealflowS === null) continue;
        const allowedS = target.factor * nativeS + target.fixedS;
        out.push({ example: ex, size: c.size, threads: c.threads, config: m.id, encryption: m.encryption, nativeS, sealflowS, allowedS, met: sealflowS <= allowedS, atTargetSize: c.size === target.size });
      }
    }
  }
  return out;
}

/** The Markdown section of the report. */
export function targetsSection(results: BenchResults): string[] {
  const v = verdicts(results);
  const out = ['**Targets** (issue 7: with encryption on, at the largest sizes, sealflow ≤ 1.10 × native + 1.5 s; 1.25 × for distributed-k-means; plain configurations for reference)', ''];
  if (v.length === 0) return [...out, 'Not computed: no example has both a native and a sealflow median.', ''];
  out.push('| example | size | threads | configuration | native s | sealflow s | allowed s | verdict |', '|---|---|---|---|---|---|---|---|');
  for (const x of v) {
    const t = TARGETS[x.example]!;
    const verdict = `${x.met ? 'met' : '**not met**'}${x.encryption ? '' : ' (plain: reference only)'}${x.atTargetSize ? '' : ` (at ${x.size}, not the issue's ${t.size})`}`;
    out.push(`| ${x.example} | ${x.size} | ${x.threads ?? '–'} | ${x.config} | ${x.nativeS.toFixed(2)} | ${x.sealflowS.toFixed(2)} | ${x.allowedS.toFixed(2)} | ${verdict} |`);
  }
  return [...out, ''];
}
