/** Summary statistics of repeated measurements, and the fixed/proportional split of sealflow's cost. */

export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** First and third quartiles (linear interpolation between order statistics, as R type 7). */
  readonly q1: number;
  readonly q3: number;
}

/** The q-quantile of sorted values (0 ≤ q ≤ 1), interpolating linearly. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantile of no values');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((x, y) => x - y);
  if (s.length === 0) throw new Error('summary of no values');
  return { n: s.length, median: quantile(s, 0.5), min: s[0] as number, max: s[s.length - 1] as number, q1: quantile(s, 0.25), q3: quantile(s, 0.75) };
}

/**
 * sealflow's time as fixed + factor × native, fitted (least squares) over the
 * sizes of one example: `fixed` is what provisioning and starting cost
 * whatever the size, `factor` the proportional part (1 = no per-byte cost).
 * Needs at least two distinct native times; otherwise null.
 */
export function splitFixedProportional(points: readonly { native: number; sealflow: number }[]): { fixed: number; factor: number } | null {
  if (points.length < 2) return null;
  const mx = points.reduce((a, p) => a + p.native, 0) / points.length;
  const my = points.reduce((a, p) => a + p.sealflow, 0) / points.length;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.native - mx) ** 2;
    sxy += (p.native - mx) * (p.sealflow - my);
  }
  if (sxx === 0) return null;
  const factor = sxy / sxx;
  return { fixed: my - factor * mx, factor };
}
