/**
 * The result preview at the end of `sealflow run` (issue 11 §9): text results
 * are shown, binary ones are described (format by magic bytes, plaintext size)
 * and never printed. Before, 8 lines of a BAM file reached the terminal.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { binaryKind, describeBinary, humanSize, isPreviewableText } from '../../src/cli/file-kind.js';
import { decryptedPreview } from '../../src/cli/run-summary.js';
import { pseudoRandomBytes } from '../helpers/bytes.js';
import { runCli } from '../helpers/cli.js';

/** One BGZF block (SAM/BAM spec §4.1): gzip with FEXTRA subfield BC = total block size - 1. */
function bgzfBlock(data: Buffer): Buffer {
  const deflated = zlib.deflateRawSync(data);
  const header = Buffer.from([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 0x42, 0x43, 2, 0, 0, 0]);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length, 4);
  const block = Buffer.concat([header, deflated, trailer]);
  block.writeUInt16LE(block.length - 1, 16);
  return block;
}

/** CRC-32 as gzip uses it (RFC 1952 §8). */
function crc32(b: Buffer): number {
  let c = ~0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

const BAM = Buffer.concat([bgzfBlock(Buffer.concat([Buffer.from('BAM\u0001', 'latin1'), pseudoRandomBytes(50_000, 3)])), bgzfBlock(pseudoRandomBytes(60_000, 4))]);

describe('what the result preview shows', () => {
  test('text with tabs, newlines and multi-byte characters cut at the sniff boundary is previewable', () => {
    assert.equal(isPreviewableText(Buffer.from('gene\tcount\r\nÄpfel\t3\n')), true);
    // 'a' then 2-byte characters: the 4096-byte window ends in the middle of one.
    assert.equal(isPreviewableText(Buffer.from(`a${'é'.repeat(3000)}`)), true);
  });

  test('control characters or invalid UTF-8 make a file binary', () => {
    assert.equal(isPreviewableText(Buffer.from('a\u0000b')), false);
    assert.equal(isPreviewableText(Buffer.from('ansi \u001b[31m red')), false);
    assert.equal(isPreviewableText(Buffer.from([0x61, 0xff, 0x62])), false);
    assert.equal(isPreviewableText(BAM), false);
  });

  test('recognises BAM, BGZF, gzip, zip, PNG and PDF by their magic bytes', () => {
    assert.equal(binaryKind(BAM), 'BAM');
    assert.equal(binaryKind(bgzfBlock(Buffer.from('##fileformat=VCFv4.2\n'))), 'BGZF (bgzip)');
    assert.equal(binaryKind(zlib.gzipSync('x')), 'gzip');
    assert.equal(binaryKind(Buffer.from('PK\u0003\u0004rest', 'latin1')), 'zip');
    assert.equal(binaryKind(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0])), 'PNG');
    assert.equal(binaryKind(Buffer.from('%PDF-1.7\n')), 'PDF');
    assert.equal(binaryKind(Buffer.from([0, 1, 2, 3])), null);
    assert.equal(describeBinary(BAM, 1_258_291), 'binary, 1.2 MiB; BAM');
    assert.equal(describeBinary(Buffer.from([0, 1]), 10), 'binary, 10 bytes');
    assert.equal(humanSize(1536), '1.5 KiB');
  });
});

describe('the decrypted preview of sealflow run', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-preview-'));
  const at = (name: string): string => path.join(dir, name);
  const env = { SEALFLOW_HOME: at('home') };

  async function sealedFile(name: string, plain: Buffer): Promise<string> {
    if (!fs.existsSync(at('owner.key'))) assert.equal((await runCli(['keygen', '-o', at('owner.key')], { env })).code, 0);
    const recipient = (await runCli(['key', 'show', at('owner.key')], { env })).stdout.match(/age1[0-9a-z]+/)?.[0] ?? '';
    fs.writeFileSync(at(`${name}.plain`), plain);
    assert.equal((await runCli(['encrypt', '-r', recipient, '-o', at(name), at(`${name}.plain`)], { env })).code, 0);
    return at(name);
  }

  test('a BAM result is described by format and plaintext size, and none of its bytes are printed', async () => {
    const big = Buffer.concat([BAM, pseudoRandomBytes(200_000, 9)]); // larger than what the preview decrypts
    const file = await sealedFile('aligned.bam.age', big);
    const lines = await decryptedPreview({ bam: { class: 'File', path: file } }, at('owner.key'));
    const text = lines.join('\n');
    assert.match(text, /bam \(.*aligned\.bam\.age, \d+ bytes encrypted\): not shown, binary, 302\.\d KiB; BAM/);
    assert.equal(isPreviewableText(Buffer.from(text)), true, 'only printable text');
    assert.match(text, /sealflow decrypt -i .* -o aligned\.bam .*aligned\.bam\.age/);
  });

  test('a text result is still shown line by line', async () => {
    const file = await sealedFile('counts.tsv.age', Buffer.from('the\t3\nfox\t1\n'));
    const lines = await decryptedPreview({ counts: { class: 'File', path: file } }, at('owner.key'));
    assert.ok(lines.includes('    the\t3'), lines.join('\n'));
    assert.ok(lines.includes('    fox\t1'));
  });
});
