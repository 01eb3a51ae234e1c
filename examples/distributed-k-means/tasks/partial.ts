/**
 * Step `partial_<r>` (M instances per round): assigns each point of one
 * partition to its nearest centroid and returns the per-cluster coordinate
 * sums and counts — all a centroid update needs from this partition.
 */
import { defineTask } from 'sealflow';
import { asCentroids } from '../points.js';
import { forEachAssigned } from './assign.js';

export interface PartialSums {
  sx: number[];
  sy: number[];
  n: number[];
}

export const partial = defineTask({
  inputs: { partition: 'file', centroids: 'json', go: 'boolean' },
  outputs: { sums: 'json' },
  async run({ partition, centroids, go }, ctx) {
    if (!go) throw new Error('partial ran although go is false (the step should have been skipped)');
    const cs = asCentroids(centroids, `${ctx.stepId}: centroids`);
    const sums: PartialSums = { sx: cs.map(() => 0), sy: cs.map(() => 0), n: cs.map(() => 0) };
    await forEachAssigned(partition, cs, (x, y, c) => {
      sums.sx[c]! += x;
      sums.sy[c]! += y;
      sums.n[c]! += 1;
    }, ctx.signal);
    return { sums };
  },
});
