/**
 * Step `init`: parses the points (streaming), splits them into M contiguous
 * partitions of binary float64 pairs, and picks the K initial centroids
 * (`InitialCentroids`: greedy k-means++ on a reservoir sample). Two passes
 * over the input: one counts lines (bytes only), one parses and writes.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import os from 'node:os';
import { once } from 'node:events';
import { defineTask } from 'sealflow';
import { countLines } from '../../_lib/lines.js';
import { InitialCentroids } from '../points.js';
import { forEachPoint } from '../parse.js';

export const init = defineTask({
  inputs: { points: 'file', k: 'number', m: 'number', seed: 'number' },
  outputs: { partitions: 'file[]', centroids: 'json' },
  async run({ points, k, m, seed }, ctx) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
    if (!Number.isInteger(m) || m < 1) throw new Error(`m must be a positive integer, got ${m}`);
    const n = await countLines(points);
    const initial = new InitialCentroids(seed);
    const partitions = Array.from({ length: m }, (_, p) => ctx.path(`partition-${p}.f64`));
    const writer = new PartitionWriter(partitions, n);
    let i = 0;
    await forEachPoint(points, (x, y) => {
      initial.offer(x, y);
      writer.add(i++, x, y);
    }, () => writer.drained());
    await writer.close();
    if (i !== n) throw new Error(`${points}: changed while being read (${n} then ${i} points)`);
    const centroids = initial.choose(k);
    ctx.log(`${n} points in ${m} partitions; initial centroids ${JSON.stringify(centroids)}`);
    return { partitions, centroids };
  },
});

/**
 * Writes point i to partition ⌊i·m/n⌋'s file (contiguous ranges), as
 * float64 pairs in the platform's byte order — little-endian on every
 * platform Node supports here (checked). `add` is synchronous; the caller
 * awaits `drained()` between chunks of input.
 */
class PartitionWriter {
  private static readonly CHUNK = 1 << 16;
  private readonly streams: WriteStream[];
  private readonly bounds: number[];
  private part = 0;
  private buf = new Float64Array(PartitionWriter.CHUNK * 2);
  private used = 0;

  constructor(files: readonly string[], n: number) {
    if (os.endianness() !== 'LE') throw new Error('partition files are little-endian; this platform is big-endian');
    this.streams = files.map((f) => createWriteStream(f));
    this.bounds = files.map((_, p) => Math.floor((n * (p + 1)) / files.length));
  }

  add(i: number, x: number, y: number): void {
    while (i >= (this.bounds[this.part] ?? Infinity) && this.part < this.streams.length - 1) {
      this.flush();
      this.part++;
    }
    this.buf[this.used++] = x;
    this.buf[this.used++] = y;
    if (this.used === this.buf.length) this.flush();
  }

  /** Resolves when the stream being written has room again (undefined if it has now). */
  drained(): Promise<void> | undefined {
    const s = this.streams[this.part]!;
    return s.writableNeedDrain ? once(s, 'drain').then(() => undefined) : undefined;
  }

  private flush(): void {
    if (this.used === 0) return;
    this.streams[this.part]!.write(Buffer.from(this.buf.buffer, 0, this.used * 8));
    this.buf = new Float64Array(PartitionWriter.CHUNK * 2);
    this.used = 0;
  }

  async close(): Promise<void> {
    this.flush();
    await Promise.all(this.streams.map(async (s) => {
      s.end();
      await once(s, 'finish');
    }));
  }
}
