/** Nearest-centroid assignment over a binary partition, shared by `partial` and `reassign`. */
import { open } from 'node:fs/promises';
import type { Centroids } from '../points.js';
import { HEADER_BYTES, SCALE, kindOf, pointBytes } from '../partition-format.js';

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

/**
 * Streams a partition file (`partition-format.ts`), calling
 * `visit(x, y, cluster)` for every point, in order. Reads 1 MiB at a time
 * into an aligned buffer viewed as int32 or float64 pairs (little-endian,
 * as `init` checked the platform is).
 */
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
  const CHUNK = 1 << 20;
  const ab = new ArrayBuffer(CHUNK);
  const bytes = new Uint8Array(ab);
  const fh = await open(file, 'r');
  try {
    const head = await fh.read(bytes, 0, HEADER_BYTES, null);
    if (head.bytesRead < HEADER_BYTES) throw new Error(`${file}: truncated (no partition header)`);
    const kind = kindOf(bytes, file);
    const size = pointBytes(kind);
    let held = 0; // bytes of an incomplete point carried to the front of the buffer
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await fh.read(bytes, held, CHUNK - held, null);
      const total = held + bytesRead;
      const whole = total - (total % size);
      if (kind === 'i32') {
        const xy = new Int32Array(ab, 0, whole / 4);
        for (let o = 0; o < xy.length; o += 2) {
          const x = xy[o]! / SCALE;
          const y = xy[o + 1]! / SCALE;
          visit(x, y, nearest(cx, cy, x, y));
        }
      } else {
        const xy = new Float64Array(ab, 0, whole / 8);
        for (let o = 0; o < xy.length; o += 2) {
          const x = xy[o]!;
          const y = xy[o + 1]!;
          visit(x, y, nearest(cx, cy, x, y));
        }
      }
      held = total - whole;
      if (held > 0) bytes.copyWithin(0, whole, total);
      if (bytesRead === 0) break;
      const p = afterChunk?.();
      if (p) await p;
    }
    if (held > 0) throw new Error(`${file}: truncated (${held} stray bytes)`);
  } finally {
    await fh.close();
  }
}
