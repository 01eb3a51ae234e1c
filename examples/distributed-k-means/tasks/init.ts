/**
 * Step `init`: parses the points (streaming), splits them into M contiguous
 * partitions of binary float64 pairs, and picks the K initial centroids
 * (`InitialCentroids`: k-means++ on a reservoir sample). Two passes over the
 * input: one counts lines (bytes only), one parses and writes.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { defineTask } from 'sealflow';
import { InitialCentroids, parsePoint } from '../points.js';

export const init = defineTask({
  inputs: { points: 'file', k: 'number', m: 'number', seed: 'number' },
  outputs: { partitions: 'file[]', centroids: 'json' },
  async run({ points, k, m, seed }, ctx) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
    if (!Number.isInteger(m) || m < 1) throw new Error(`m must be a positive integer, got ${m}`);
    const n = await countLines(points);
    const initial = new InitialCentroids(seed);
    const partitions = Array.from({ length: m }, (_, p) => ctx.path(`partition-${p}.f64`));
    let p = 0;
    let out = createWriteStream(partitions[0]!);
    let end = Math.floor(n / m);
    const buf = Buffer.alloc(16 * 4096);
    let used = 0;
    const flush = async (s: WriteStream): Promise<void> => {
      if (used > 0 && !s.write(Buffer.from(buf.subarray(0, used)))) await once(s, 'drain');
      used = 0;
    };
    let i = 0;
    let lineNo = 0;
    for await (const line of lines(points)) {
      lineNo++;
      if (line === '') continue;
      while (i >= end && p < m - 1) {
        await flush(out);
        out.end();
        await once(out, 'finish');
        p++;
        out = createWriteStream(partitions[p]!);
        end = Math.floor((n * (p + 1)) / m);
      }
      const [x, y] = parsePoint(line, `${points}:${lineNo}`);
      initial.offer(x, y);
      buf.writeDoubleLE(x, used);
      buf.writeDoubleLE(y, used + 8);
      used += 16;
      if (used === buf.length) await flush(out);
      i++;
    }
    await flush(out);
    out.end();
    await once(out, 'finish');
    // Partitions past the last point (m > n) are empty files.
    for (p++; p < m; p++) {
      const s = createWriteStream(partitions[p]!);
      s.end();
      await once(s, 'finish');
    }
    if (i !== n) throw new Error(`${points}: changed while being read (${n} then ${i} points)`);
    const centroids = initial.choose(k);
    ctx.log(`${n} points in ${m} partitions; initial centroids ${JSON.stringify(centroids)}`);
    return { partitions, centroids };
  },
});

function lines(file: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(file), crlfDelay: Infinity });
}

/** Non-empty lines, counted on bytes. */
async function countLines(file: string): Promise<number> {
  let n = 0;
  let prev = 0x0a;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) {
      const before = i > 0 ? buf[i - 1] : prev;
      if (before !== 0x0a) n++;
    }
    if (buf.length > 0) prev = buf[buf.length - 1]!;
  }
  return prev !== 0x0a ? n + 1 : n;
}
