/**
 * Counting the non-blank lines of a file on its bytes (no decoding, no
 * parsing), streaming. A line holding only `\r` (a blank CRLF line) is blank.
 *
 * Copied, byte for byte, into the lib/ of each example whose tasks use it, so
 * that an example's folder, copied anywhere, runs on its own;
 * test/examples/self-contained.test.ts keeps the copies identical (no
 * generator uses it, so examples/_lib/ has none).
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

export async function countLines(file: string): Promise<number> {
  let n = 0;
  // The two bytes before the current chunk; a virtual "\n\n" before the file.
  let prev1 = 0x0a;
  let prev2 = 0x0a;
  const at = (buf: Buffer, i: number): number => (i >= 0 ? buf[i]! : i === -1 ? prev1 : prev2);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) {
      const b1 = at(buf, i - 1);
      if (b1 !== 0x0a && !(b1 === 0x0d && at(buf, i - 2) === 0x0a)) n++;
    }
    if (buf.length >= 2) {
      prev2 = buf[buf.length - 2]!;
      prev1 = buf[buf.length - 1]!;
    } else if (buf.length === 1) {
      prev2 = prev1;
      prev1 = buf[0]!;
    }
  }
  // A last line without a newline.
  if (prev1 !== 0x0a && !(prev1 === 0x0d && prev2 === 0x0a)) n++;
  return n;
}

/** Whether bytes [start, end) of `buf` (a line without its '\n') are blank: empty or a lone '\r'. */
const blank = (buf: Buffer, start: number, end: number): boolean => end === start || (end === start + 1 && buf[start] === 0x0d);

/**
 * Copies the first `n` non-blank lines of `file` to `first` and the rest to
 * `second` (each line of the rest through `mapRest`, which gets the line's
 * bytes without its '\n' and returns the bytes to write, newline excluded),
 * in one streaming pass on bytes: no decoding, no parsing. Blank lines are
 * copied as they are. Returns the number of non-blank lines.
 */
export async function cutLines(file: string, n: number, first: string, second: string, mapRest?: (line: Buffer) => Buffer): Promise<number> {
  const sinks = [createWriteStream(first), createWriteStream(second)] as const;
  const NL = Buffer.from('\n');
  let seen = 0;
  let carry: Buffer = Buffer.alloc(0);
  const write = async (s: WriteStream, parts: Buffer[]): Promise<void> => {
    if (parts.length > 0 && !s.write(Buffer.concat(parts))) await once(s, 'drain');
  };
  /** Routes the complete lines of `buf` (up to `end`), appending to the two part lists. */
  const route = (buf: Buffer, end: number, a: Buffer[], b: Buffer[]): void => {
    let start = 0;
    // Lines going to `first`: count them without copying line by line.
    while (start < end && seen < n) {
      const nl = buf.indexOf(0x0a, start);
      const stop = nl < 0 || nl >= end ? end : nl;
      if (!blank(buf, start, stop)) seen++;
      start = Math.min(stop + 1, end);
      if (seen === n || start >= end) {
        a.push(buf.subarray(0, start));
        break;
      }
    }
    if (start >= end) return;
    if (!mapRest) {
      b.push(buf.subarray(start, end));
    }
    while (start < end) {
      const nl = buf.indexOf(0x0a, start);
      const stop = nl < 0 || nl >= end ? end : nl;
      if (!blank(buf, start, stop)) seen++;
      if (mapRest) {
        b.push(blank(buf, start, stop) ? buf.subarray(start, stop) : mapRest(buf.subarray(start, stop)));
        if (stop < end) b.push(NL);
      }
      start = stop + 1;
    }
  };
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
      const lastNl = buf.lastIndexOf(0x0a);
      const a: Buffer[] = [];
      const b: Buffer[] = [];
      if (lastNl >= 0) route(buf, lastNl + 1, a, b);
      carry = Buffer.from(buf.subarray(lastNl + 1));
      await Promise.all([write(sinks[0], a), write(sinks[1], b)]);
    }
    if (carry.length > 0) {
      const a: Buffer[] = [];
      const b: Buffer[] = [];
      route(carry, carry.length, a, b);
      await Promise.all([write(sinks[0], a), write(sinks[1], b)]);
    }
  } finally {
    await Promise.all(sinks.map(async (s) => {
      s.end();
      await once(s, 'finish');
    }));
  }
  return seen;
}
