/**
 * Step `split` (SecDATAVIEW's "Input" task): cuts the corpus into `parts`
 * byte ranges of about equal size, each ending at a line end (or, for
 * a line longer than 64 KiB, at a non-word byte), and copies each range to
 * its own file, streaming. Also emits the partition ids 0..partitions-1 that
 * the `shuffle` step scatters over, so the number of partitions is given once.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { defineTask } from 'sealflow';
import { isWordByte } from './words.js';

export const split = defineTask({
  inputs: { corpus: 'file', parts: 'number', partitions: 'number' },
  outputs: { chunks: 'file[]', partitionIds: 'number[]' },
  async run({ corpus, parts, partitions }, ctx) {
    if (!Number.isInteger(parts) || parts < 1) throw new Error(`parts must be a positive integer, got ${parts}`);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 26) {
      throw new Error(`partitions must be an integer from 1 to 26, got ${partitions}`);
    }
    const bounds = await chunkBounds(corpus, parts);
    const chunks: string[] = [];
    for (let i = 0; i < parts; i++) {
      const out = ctx.path(`chunk-${i}.txt`);
      const start = bounds[i] ?? 0;
      const end = bounds[i + 1] ?? start;
      // createReadStream's `end` is inclusive; an empty range gets an empty file.
      const src = end > start ? createReadStream(corpus, { start, end: end - 1, highWaterMark: 1 << 20 }) : [];
      await pipeline(src, createWriteStream(out));
      chunks.push(out);
    }
    ctx.log(`split ${bounds.at(-1) ?? 0} bytes into ${parts} chunks at ${bounds.slice(1, -1).join(', ')}`);
    return { chunks, partitionIds: Array.from({ length: partitions }, (_, i) => i) };
  },
});

/** Byte offsets [0, b1, ..., size]: b_i is the first line start at or after size*i/parts. */
export async function chunkBounds(file: string, parts: number): Promise<number[]> {
  const { size } = await stat(file);
  const bounds = [0];
  const fh = await open(file, 'r');
  try {
    for (let i = 1; i < parts; i++) {
      const target = Math.max(Math.floor((size * i) / parts), bounds[i - 1] ?? 0);
      bounds.push(await nextBoundary(fh, target, size));
    }
  } finally {
    await fh.close();
  }
  bounds.push(size);
  return bounds;
}

const LINE_WINDOW = 1 << 16;

/** The offset just after the first '\n' at or after `pos` (within 64 KiB), else of the first non-word byte. */
async function nextBoundary(fh: import('node:fs/promises').FileHandle, pos: number, size: number): Promise<number> {
  if (pos === 0 || pos >= size) return Math.min(pos, size);
  const buf = Buffer.alloc(LINE_WINDOW);
  // The byte before pos: if it is a newline, pos already starts a line.
  const { bytesRead } = await fh.read(buf, 0, LINE_WINDOW, pos - 1);
  const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
  if (nl >= 0) return pos - 1 + nl + 1;
  // No line end nearby: cut after any separator byte, scanning as far as needed.
  let at = pos;
  while (at < size) {
    const r = await fh.read(buf, 0, LINE_WINDOW, at);
    for (let j = 0; j < r.bytesRead; j++) if (!isWordByte(buf[j] ?? 0)) return at + j + 1;
    at += r.bytesRead;
    if (r.bytesRead === 0) break;
  }
  return size;
}
