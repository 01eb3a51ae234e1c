/**
 * Step `reassign` (M instances, after the last round): assigns every point of
 * a partition to its nearest final centroid and writes the labels, one
 * cluster index per line, in point order; returns cluster sizes and the sum
 * of squared distances.
 */
import { defineTask } from 'sealflow';
import { TextSink } from '../../_lib/cli.js';
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
    const sink = new TextSink(out);
    const stats: PartitionStats = { sizes: cs.map(() => 0), sse: 0 };
    let labels: string[] = [];
    await forEachAssigned(partition, cs, (x, y, c) => {
      stats.sizes[c]! += 1;
      const [cx, cy] = cs[c]!;
      stats.sse += (x - cx) ** 2 + (y - cy) ** 2;
      labels.push(`${c}\n`);
    }, ctx.signal, () => {
      const text = labels.join('');
      labels = [];
      return sink.write(text);
    });
    await sink.close();
    return { labels: out, stats };
  },
});
