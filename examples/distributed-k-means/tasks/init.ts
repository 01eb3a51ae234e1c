/**
 * Step `init`: parses the points (streaming), splits them into M contiguous
 * binary partitions (`partition-format.ts`: int32 fixed-point pairs when
 * exact, else float64), and picks the K initial centroids
 * (`InitialCentroids`: greedy k-means++ on a reservoir sample). Two passes
 * over the input: one counts lines (bytes only), one parses and writes (and
 * a third, only if some point has no exact int32 form).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import os from 'node:os';
import { once } from 'node:events';
import { defineTask } from 'sealflow';
import { countLines } from '../lib/lines.js';
import { InitialCentroids } from '../points.js';
import { forEachPoint } from '../parse.js';
import { fixedPoint, header, type PartitionKind } from '../partition-format.js';

export const init = defineTask({
  inputs: { points: 'file', k: 'number', m: 'number', seed: 'number' },
  outputs: { partitions: 'file[]', centroids: 'json' },
  async run({ points, k, m, seed }, ctx) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
    if (!Number.isInteger(m) || m < 1) throw new Error(`m must be a positive integer, got ${m}`);
    const n = await countLines(points);
    const partitions = Array.from({ length: m }, (_, p) => ctx.path(`partition-${p}.kmp`));
    // The compact int32 form when every point has one (the usual case), else float64: a second parse.
    let pass = await writePartitions(points, partitions, n, seed, 'i32');
    if (pass === null) pass = (await writePartitions(points, partitions, n, seed, 'f64'))!;
    const { initial, kind } = pass;
    const centroids = initial.choose(k);
    ctx.log(`${n} points in ${m} ${kind} partitions; initial centroids ${JSON.stringify(centroids)}`);
    return { partitions, centroids };
  },
});

/** One parse of `points` into partition files of `kind`; null if a point has no exact int32 form. */
async function writePartitions(points: string, files: readonly string[], n: number, seed: number, kind: PartitionKind): Promise<{ initial: InitialCentroids; kind: PartitionKind } | null> {
  const initial = new InitialCentroids(seed);
  const writer = new PartitionWriter(files, n, kind);
  let i = 0;
  try {
    await forEachPoint(points, (x, y) => {
      initial.offer(x, y);
      writer.add(i++, x, y);
    }, () => writer.drained());
  } catch (e) {
    await writer.close();
    if (e === NOT_FIXED_POINT) return null;
    throw e;
  }
  await writer.close();
  if (i !== n) throw new Error(`${points}: changed while being read (${n} then ${i} points)`);
  return { initial, kind };
}

const NOT_FIXED_POINT = new Error('a point has no exact int32 fixed-point form');

/**
 * Writes point i to partition ⌊i·m/n⌋'s file (contiguous ranges), as int32
 * fixed-point or float64 pairs (`partition-format.ts`) in the platform's
 * byte order — little-endian on every platform Node supports here
 * (checked). `add` is synchronous; the caller awaits `drained()` between
 * chunks of input.
 */
class PartitionWriter {
  private static readonly CHUNK = 1 << 17;
  private readonly streams: WriteStream[];
  private readonly bounds: number[];
  private part = 0;
  private buf: Float64Array | Int32Array;
  private used = 0;

  constructor(files: readonly string[], n: number, private readonly kind: PartitionKind) {
    if (os.endianness() !== 'LE') throw new Error('partition files are little-endian; this platform is big-endian');
    this.streams = files.map((f) => {
      const s = createWriteStream(f);
      s.write(header(kind));
      return s;
    });
    this.bounds = files.map((_, p) => Math.floor((n * (p + 1)) / files.length));
    this.buf = this.fresh();
  }

  private fresh(): Float64Array | Int32Array {
    return this.kind === 'i32' ? new Int32Array(PartitionWriter.CHUNK) : new Float64Array(PartitionWriter.CHUNK);
  }

  add(i: number, x: number, y: number): void {
    while (i >= (this.bounds[this.part] ?? Infinity) && this.part < this.streams.length - 1) {
      this.flush();
      this.part++;
    }
    if (this.kind === 'i32') {
      const fx = fixedPoint(x);
      const fy = fixedPoint(y);
      if (fx === null || fy === null) throw NOT_FIXED_POINT;
      this.buf[this.used++] = fx;
      this.buf[this.used++] = fy;
    } else {
      this.buf[this.used++] = x;
      this.buf[this.used++] = y;
    }
    if (this.used === this.buf.length) this.flush();
  }

  /** Resolves when the stream being written has room again (undefined if it has now). */
  drained(): Promise<void> | undefined {
    const s = this.streams[this.part]!;
    return s.writableNeedDrain ? once(s, 'drain').then(() => undefined) : undefined;
  }

  private flush(): void {
    if (this.used === 0) return;
    this.streams[this.part]!.write(Buffer.from(this.buf.buffer, 0, this.used * this.buf.BYTES_PER_ELEMENT));
    this.buf = this.fresh();
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
