/**
 * Step `reassign` (M instances, after the last round): assigns every point of
 * a partition to its nearest final centroid and writes the labels, one
 * cluster index per line, in point order; returns cluster sizes and the sum
 * of squared distances.
 */
import { defineTask } from 'sealflow';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { asCentroids } from '../points.js';
import { forEachAssigned } from './assign.js';

export interface PartitionStats {
  sizes: number[];
  sse: number;
}

export const reassign = defineTask({
  inputs: { partition: 'file', centroids: 'json' },
  outputs: { labels: 'file', stats: 'json' },
  async run({ partition, centroids }, ctx) {
    const cs = asCentroids(centroids, `${ctx.stepId}: centroids`);
    const out = ctx.path('labels.txt');
    const stream = createWriteStream(out);
    const stats: PartitionStats = { sizes: cs.map(() => 0), sse: 0 };
    // Each label line's bytes, and an output buffer filled point by point.
    const lines = cs.map((_, c) => Buffer.from(`${c}\n`, 'latin1'));
    const CHUNK = 1 << 20;
    let buf = Buffer.allocUnsafe(CHUNK);
    let used = 0;
    const flush = (): Promise<void> | undefined => {
      if (used === 0) return undefined;
      const ok = stream.write(buf.subarray(0, used));
      buf = Buffer.allocUnsafe(CHUNK);
      used = 0;
      return ok ? undefined : once(stream, 'drain').then(() => undefined);
    };
    await forEachAssigned(partition, cs, (x, y, c) => {
      stats.sizes[c]! += 1;
      const [cx, cy] = cs[c]!;
      stats.sse += (x - cx) ** 2 + (y - cy) ** 2;
      const line = lines[c]!;
      if (used + line.length > CHUNK) void flush();
      used += line.copy(buf, used);
    }, ctx.signal, flush);
    await flush();
    stream.end();
    await once(stream, 'finish');
    return { labels: out, stats };
  },
});
