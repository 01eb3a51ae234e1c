/**
 * Fuzz target: the result preview's judgement of a decrypted result's first
 * bytes (src/cli/file-kind.ts) — text or not, and which binary format (it
 * inflates a BGZF block to tell BAM). It must never throw, whatever the bytes.
 */
import zlib from 'node:zlib';
import { describeBinary, isPreviewableText } from '../../../src/cli/file-kind.js';
import type { FuzzTarget } from '../target.js';

/** A BGZF block (SAM/BAM spec §4.1) holding `data`; the CRC is left 0 (the sniffer does not need it). */
function bgzf(data: Buffer): Uint8Array {
  const header = Buffer.from([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 0x42, 0x43, 2, 0, 0, 0]);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(data.length, 4);
  const block = Buffer.concat([header, zlib.deflateRawSync(data), trailer]);
  block.writeUInt16LE(block.length - 1, 16);
  return new Uint8Array(block);
}

export const targets: FuzzTarget[] = [
  {
    name: 'preview-file-kind',
    seeds: () => [
      new Uint8Array(Buffer.from('gene\tcount\nÄpfel\t3\r\n')),
      bgzf(Buffer.from('BAM\u0001\u0000\u0000\u0000\u0000', 'latin1')),
      new Uint8Array(zlib.gzipSync('hello')),
      new Uint8Array(Buffer.from('%PDF-1.7\n%âãÏÓ\n', 'latin1')),
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
    ],
    run: (input) => [isPreviewableText(input), describeBinary(input, input.length)],
    isOwnError: () => false, // it never refuses: any throw is a bug
  },
];
