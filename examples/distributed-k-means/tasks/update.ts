/**
 * Step `update_<r>` (one per round): adds the partitions' sums into new
 * centroids (an empty cluster keeps its centroid) and decides whether another
 * round is needed: `more` is false once no centroid moved by more than
 * `tolerance` (with the default 0: the assignment no longer changes, Lloyd's
 * fixed point) or round `maxRounds` is reached.
 */
import { defineTask } from 'sealflow';
import { asCentroids, type Centroids } from '../points.js';
import type { PartialSums } from './partial.js';

export interface RoundState {
  round: number;
  converged: boolean;
  /** The largest distance a centroid moved in this round. */
  shift: number;
  centroids: Centroids;
}

export const update = defineTask({
  inputs: { partials: 'json[]', centroids: 'json', round: 'number', maxRounds: 'number', tolerance: 'number', go: 'boolean' },
  outputs: { centroids: 'json', more: 'boolean', state: 'json' },
  run({ partials, centroids, round, maxRounds, tolerance, go }, ctx) {
    if (!go) throw new Error('update ran although go is false (the step should have been skipped)');
    const old = asCentroids(centroids, `${ctx.stepId}: centroids`);
    const k = old.length;
    const sx = new Array<number>(k).fill(0);
    const sy = new Array<number>(k).fill(0);
    const n = new Array<number>(k).fill(0);
    for (const p of partials as PartialSums[]) {
      for (let c = 0; c < k; c++) {
        sx[c]! += p.sx[c] ?? 0;
        sy[c]! += p.sy[c] ?? 0;
        n[c]! += p.n[c] ?? 0;
      }
    }
    let shift = 0;
    const next: Centroids = old.map((prev, c) => {
      const count = n[c] ?? 0;
      const pt: [number, number] = count > 0 ? [sx[c]! / count, sy[c]! / count] : prev;
      shift = Math.max(shift, Math.hypot(pt[0] - prev[0], pt[1] - prev[1]));
      return pt;
    });
    const converged = shift <= tolerance;
    ctx.log(`round ${round}: max centroid shift ${shift}${converged ? ' (converged)' : ''}`);
    const state: RoundState = { round, converged, shift, centroids: next };
    return { centroids: next, more: !converged && round < maxRounds, state };
  },
});
