/**
 * Formats shared by the k-means tasks and tools.
 *
 * - Points file (the workflow input, the generator's output): text, one
 *   `x,y` line per point.
 * - Partition file (between tasks): the points in binary, parsed once by
 *   `init` and re-read every round (see `partition-format.ts`).
 * - Centroids (a `json` port value): `[[x, y], ...]`, K entries.
 */
import { Random } from './lib/random.js';

export type Centroids = [number, number][];

/** Parses one `x,y` line; throws naming the line otherwise. */
export function parsePoint(line: string, where: string): [number, number] {
  const comma = line.indexOf(',');
  const x = Number(line.slice(0, comma));
  const y = Number(line.slice(comma + 1));
  if (comma < 0 || line.trim() === '' || !Number.isFinite(x) || !Number.isFinite(y)) {
    throw new Error(`${where}: expected 'x,y', got '${line.slice(0, 60)}'`);
  }
  return [x, y];
}

/**
 * The initial centroids: k-means++ (D² sampling) on a uniform sample of at
 * most `SAMPLE` points, drawn by reservoir sampling as the points stream by.
 * This is the one piece of code the workflow's `init` and the direct
 * implementation share, so that "the same seed" means the same start.
 */
export class InitialCentroids {
  static readonly SAMPLE = 10_000;
  private readonly rng: Random;
  private readonly sample = new Float64Array(2 * InitialCentroids.SAMPLE);
  private seen = 0;

  constructor(seed: number) {
    this.rng = new Random(seed);
  }

  /** Offers the points in input order. */
  offer(x: number, y: number): void {
    let slot = this.seen;
    if (slot >= InitialCentroids.SAMPLE) slot = this.rng.int(this.seen + 1);
    this.seen++;
    if (slot < InitialCentroids.SAMPLE) {
      this.sample[2 * slot] = x;
      this.sample[2 * slot + 1] = y;
    }
  }

  /**
   * Greedy k-means++ over the sample: each new centroid is the best (lowest
   * total squared distance) of 2 + ln k candidates drawn with probability
   * proportional to the squared distance to the nearest chosen centroid.
   */
  choose(k: number): Centroids {
    const m = Math.min(this.seen, InitialCentroids.SAMPLE);
    if (k > m) throw new Error(`k = ${k} is more than the ${this.seen} points`);
    const xs = this.sample;
    const pt = (i: number): [number, number] => [xs[2 * i]!, xs[2 * i + 1]!];
    const trials = 2 + Math.floor(Math.log(k));
    const first = this.rng.int(m);
    const centroids: Centroids = [pt(first)];
    let d2 = this.distancesTo(first, new Float64Array(m).fill(Infinity), m);
    while (centroids.length < k) {
      let total = 0;
      for (let i = 0; i < m; i++) total += d2[i]!;
      let best: { i: number; d2: Float64Array; pot: number } | undefined;
      for (let t = 0; t < trials; t++) {
        const i = total > 0 ? this.drawProportional(d2, total, m) : t % m;
        const cand = this.distancesTo(i, d2, m);
        let pot = 0;
        for (let j = 0; j < m; j++) pot += cand[j]!;
        if (!best || pot < best.pot) best = { i, d2: cand, pot };
      }
      centroids.push(pt(best!.i));
      d2 = best!.d2;
    }
    return centroids;
  }

  /** min(d2, squared distance to sample point c), element-wise. */
  private distancesTo(c: number, d2: Float64Array, m: number): Float64Array {
    const xs = this.sample;
    const cx = xs[2 * c]!;
    const cy = xs[2 * c + 1]!;
    const out = new Float64Array(m);
    for (let i = 0; i < m; i++) out[i] = Math.min(d2[i]!, (xs[2 * i]! - cx) ** 2 + (xs[2 * i + 1]! - cy) ** 2);
    return out;
  }

  private drawProportional(w: Float64Array, total: number, m: number): number {
    let u = this.rng.float() * total;
    for (let i = 0; i < m; i++) {
      u -= w[i]!;
      if (u < 0 && w[i]! > 0) return i;
    }
    for (let i = m - 1; i >= 0; i--) if (w[i]! > 0) return i;
    return 0;
  }
}

/** Checks a `json` port value is K [x, y] pairs. */
export function asCentroids(v: unknown, what: string): Centroids {
  if (!Array.isArray(v) || !v.every((c) => Array.isArray(c) && c.length === 2 && c.every((x) => typeof x === 'number'))) {
    throw new Error(`${what}: expected centroids [[x, y], ...]`);
  }
  return v as Centroids;
}
