/** Step `summarize`: the final result as JSON — rounds run, convergence, centroids, cluster sizes, SSE. */
import { writeFile } from 'node:fs/promises';
import { defineTask } from 'sealflow';
import type { RoundState } from './update.js';
import type { PartitionStats } from './reassign.js';

export interface KMeansResult {
  k: number;
  rounds: number;
  converged: boolean;
  centroids: [number, number][];
  sizes: number[];
  sse: number;
}

export const summarize = defineTask({
  inputs: { state: 'json', stats: 'json[]' },
  outputs: { result: 'file' },
  async run({ state, stats }, ctx) {
    const s = state as RoundState;
    const sizes = s.centroids.map(() => 0);
    let sse = 0;
    for (const p of stats as PartitionStats[]) {
      p.sizes.forEach((n, c) => (sizes[c]! += n));
      sse += p.sse;
    }
    const result: KMeansResult = { k: s.centroids.length, rounds: s.round, converged: s.converged, centroids: s.centroids, sizes, sse };
    const out = ctx.path('result.json');
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    return { result: out };
  },
});
