/**
 * Streaming parser of `x,y` point files that works on bytes: plain decimals
 * (`-12.3456`) are converted as integer mantissa / power of ten, one IEEE
 * division of two exact values, which is the correctly rounded result and so
 * bit-identical to `Number(text)`; any other form (exponents, spaces, long
 * mantissas) falls back to `parsePoint`. Shared by the workflow's `init` and
 * the direct implementation so both read the same doubles.
 */
import { createReadStream } from 'node:fs';
import { parsePoint } from './points.js';

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Parses bytes [start, end) as a plain decimal; NaN if it is not one (or too long to be exact). */
function plainDecimal(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (buf[i] === 0x2d || buf[i] === 0x2b) negative = buf[i++] === 0x2d;
  let mantissa = 0;
  let digits = 0;
  let scale = -1;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      if (scale >= 0) scale++;
    } else if (c === 0x2e && scale < 0) {
      scale = 0;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || digits > 15 || scale === 0) return NaN;
  const v = scale > 0 ? mantissa / POW10[scale]! : mantissa;
  return negative ? -v : v;
}

/** Calls `visit(x, y)` for every point of `file`, in order; returns the number of points. */
export async function forEachPoint(
  file: string,
  visit: (x: number, y: number) => void,
  /** Awaited after each chunk of lines (for output backpressure). */
  afterChunk?: () => Promise<void> | undefined,
): Promise<number> {
  let carry: Buffer | undefined;
  let lineNo = 0;
  let n = 0;
  const line = (buf: Buffer, start: number, end: number): void => {
    lineNo++;
    if (end > start && buf[end - 1] === 0x0d) end--;
    if (end === start) return;
    const comma = buf.indexOf(0x2c, start);
    let x = NaN;
    let y = NaN;
    if (comma >= 0 && comma < end) {
      x = plainDecimal(buf, start, comma);
      y = plainDecimal(buf, comma + 1, end);
    }
    if (Number.isNaN(x) || Number.isNaN(y)) [x, y] = parsePoint(buf.toString('latin1', start, end), `${file}:${lineNo}`);
    visit(x, y);
    n++;
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const buf: Buffer = carry ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    let start = 0;
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      line(buf, start, nl);
      start = nl + 1;
    }
    carry = start < buf.length ? Buffer.from(buf.subarray(start)) : undefined;
    const p = afterChunk?.();
    if (p) await p;
  }
  if (carry) line(carry, 0, carry.length);
  return n;
}
