/** Counting the non-empty lines of a file on its bytes (no decoding, no parsing), streaming. */
import { createReadStream } from 'node:fs';

export async function countLines(file: string): Promise<number> {
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
