/**
 * Counting the non-blank lines of a file on its bytes (no decoding, no
 * parsing), streaming. A line holding only `\r` (a blank CRLF line) is blank.
 */
import { createReadStream } from 'node:fs';

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
