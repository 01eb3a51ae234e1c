/** Nearest-centroid assignment over a binary partition, shared by `partial` and `reassign`. */
import { createReadStream } from 'node:fs';
import type { Centroids } from '../points.js';

/** The index of the nearest centroid (squared Euclidean distance; the lowest index on a tie). */
export function nearest(cx: Float64Array, cy: Float64Array, x: number, y: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let c = 0; c < cx.length; c++) {
    const dx = x - (cx[c] ?? 0);
    const dy = y - (cy[c] ?? 0);
    const d = dx * dx + dy * dy;
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

/** Streams a partition file, calling `visit(x, y, cluster)` for every point, in order. */
export async function forEachAssigned(
  file: string,
  centroids: Centroids,
  visit: (x: number, y: number, cluster: number) => void,
  signal?: AbortSignal,
  /** Awaited after each chunk of points (for output backpressure). */
  afterChunk?: () => Promise<void> | undefined,
): Promise<void> {
  const cx = Float64Array.from(centroids, (c) => c[0]);
  const cy = Float64Array.from(centroids, (c) => c[1]);
  let rest: Buffer | undefined;
  const opts = signal ? { highWaterMark: 1 << 20, signal } : { highWaterMark: 1 << 20 };
  for await (const chunk of createReadStream(file, opts)) {
    let buf = chunk as Buffer;
    if (rest) buf = Buffer.concat([rest, buf]);
    const whole = buf.length - (buf.length % 16);
    for (let o = 0; o < whole; o += 16) {
      const x = buf.readDoubleLE(o);
      const y = buf.readDoubleLE(o + 8);
      visit(x, y, nearest(cx, cy, x, y));
    }
    rest = whole < buf.length ? Buffer.from(buf.subarray(whole)) : undefined;
    const p = afterChunk?.();
    if (p) await p;
  }
  if (rest) throw new Error(`${file}: truncated (${rest.length} stray bytes)`);
}
