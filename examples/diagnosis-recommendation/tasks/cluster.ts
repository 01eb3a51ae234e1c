/**
 * The k-means recommender model: patients as feature vectors (age, heart
 * rate and glucose min-max scaled to [0, 1] over the training rows; obesity
 * and smoking as 0/1), Lloyd's algorithm from `seedRows` until no assignment
 * changes (at most 100 iterations), then per cluster the labels whose count
 * is at least ⌊threshold × cluster size⌋, most frequent first (ties: by name).
 */
import { seedRows, type Patient } from '../table.js';

export interface Model {
  readonly min: number[];
  readonly max: number[];
  readonly centroids: number[][];
  /** Recommended labels per cluster, best first. */
  readonly recommendations: string[][];
}

const MAX_ITERATIONS = 100;

function features(p: Patient, min: readonly number[], max: readonly number[]): number[] {
  const scale = (v: number, i: number): number => (max[i]! > min[i]! ? (v - min[i]!) / (max[i]! - min[i]!) : 0);
  return [scale(p.age, 0), scale(p.heartRate, 1), scale(p.glucose, 2), p.obese ? 1 : 0, p.smoker ? 1 : 0];
}

export function nearestCluster(centroids: readonly number[][], x: readonly number[]): number {
  let best = 0;
  let bestD = Infinity;
  centroids.forEach((c, j) => {
    let d = 0;
    for (let i = 0; i < x.length; i++) d += (x[i]! - c[i]!) ** 2;
    if (d < bestD) {
      bestD = d;
      best = j;
    }
  });
  return best;
}

const D = 5;

/** The nearest of `k` centroids (flat, D per centroid) to point `r` of `xs` (flat, D per point). */
function nearestFlat(cs: Float64Array, k: number, xs: Float64Array, r: number): number {
  let best = 0;
  let bestD = Infinity;
  const o = r * D;
  for (let j = 0; j < k; j++) {
    let d = 0;
    for (let i = 0; i < D; i++) d += (xs[o + i]! - cs[j * D + i]!) ** 2;
    if (d < bestD) {
      bestD = d;
      best = j;
    }
  }
  return best;
}

export function train(rows: readonly Patient[], k: number, seed: number, threshold: number): Model {
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (const p of rows) {
    [p.age, p.heartRate, p.glucose].forEach((v, i) => {
      min[i] = Math.min(min[i]!, v);
      max[i] = Math.max(max[i]!, v);
    });
  }
  // Points and centroids as flat float64 arrays (the arithmetic, and so the result, is that of number[][]).
  const n = rows.length;
  const xs = new Float64Array(n * D);
  rows.forEach((p, r) => xs.set(features(p, min, max), r * D));
  const cs = new Float64Array(k * D);
  seedRows(n, k, seed).forEach((r, c) => cs.set(xs.subarray(r * D, r * D + D), c * D));
  const assignment = new Int32Array(n).fill(-1);
  const sums = new Float64Array(k * D);
  const counts = new Float64Array(k);
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    let changed = false;
    for (let r = 0; r < n; r++) {
      const c = nearestFlat(cs, k, xs, r);
      if (c !== assignment[r]) {
        assignment[r] = c;
        changed = true;
      }
    }
    if (!changed) break;
    sums.fill(0);
    counts.fill(0);
    for (let r = 0; r < n; r++) {
      const c = assignment[r]!;
      counts[c]!++;
      for (let i = 0; i < D; i++) sums[c * D + i]! += xs[r * D + i]!;
    }
    for (let c = 0; c < k; c++) {
      if (counts[c]! > 0) for (let i = 0; i < D; i++) cs[c * D + i] = sums[c * D + i]! / counts[c]!;
    }
  }
  const centroids = Array.from({ length: k }, (_, c) => Array.from(cs.subarray(c * D, c * D + D)));
  const labelCounts = centroids.map(() => new Map<string, number>());
  const sizes = centroids.map(() => 0);
  rows.forEach((p, r) => {
    const c = assignment[r]!;
    sizes[c]!++;
    for (const l of p.labels) labelCounts[c]!.set(l, (labelCounts[c]!.get(l) ?? 0) + 1);
  });
  const recommendations = labelCounts.map((counts, c) =>
    [...counts]
      .filter(([, n]) => n >= Math.floor(threshold * sizes[c]!))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([l]) => l));
  return { min, max, centroids, recommendations };
}

export function recommend(model: Model, p: Patient): string[] {
  return model.recommendations[nearestCluster(model.centroids, features(p, model.min, model.max))] ?? [];
}
