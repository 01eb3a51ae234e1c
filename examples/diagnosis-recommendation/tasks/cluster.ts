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

export function train(rows: readonly Patient[], k: number, seed: number, threshold: number): Model {
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (const p of rows) {
    [p.age, p.heartRate, p.glucose].forEach((v, i) => {
      min[i] = Math.min(min[i]!, v);
      max[i] = Math.max(max[i]!, v);
    });
  }
  const xs = rows.map((p) => features(p, min, max));
  const centroids = seedRows(rows.length, k, seed).map((i) => [...xs[i]!]);
  const assignment = new Int32Array(rows.length).fill(-1);
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    let changed = false;
    xs.forEach((x, r) => {
      const c = nearestCluster(centroids, x);
      if (c !== assignment[r]) {
        assignment[r] = c;
        changed = true;
      }
    });
    if (!changed) break;
    const sums = centroids.map(() => [0, 0, 0, 0, 0]);
    const counts = centroids.map(() => 0);
    xs.forEach((x, r) => {
      const c = assignment[r]!;
      counts[c]!++;
      x.forEach((v, i) => (sums[c]![i]! += v));
    });
    sums.forEach((s, c) => {
      if (counts[c]! > 0) centroids[c] = s.map((v) => v / counts[c]!);
    });
  }
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
