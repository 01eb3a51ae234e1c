import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { countLines, cutLines } from '../../examples/diagnosis-recommendation/lib/lines.js';
import { parseCount, parseSize } from '../../examples/_lib/cli.js';
import { Random, ZipfSampler } from '../../examples/_lib/random.js';

test('countLines counts non-blank lines, LF or CRLF, with or without a final newline', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sealflow-lines-'));
  try {
    const cases: [string, number][] = [['', 0], ['a', 1], ['a\n', 1], ['a\n\nb', 2], ['\n\n', 0], ['a\nb\n\n', 2], ['\na', 1],
      ['a\r\n\r\nb\r\n', 2], ['\r\n', 0], ['\r', 0], ['a\r', 1], ['\rx\n', 1]];
    for (const [text, n] of cases) {
      const f = path.join(dir, 'f');
      await writeFile(f, text);
      assert.equal(await countLines(f), n, JSON.stringify(text));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** cutLines as a reference on strings: the first n non-blank lines, then the rest (mapped). */
function cutReference(text: string, n: number, map: (l: string) => string): [string, string] {
  const lines = text.split('\n');
  let seen = 0;
  let i = 0;
  const head: string[] = [];
  for (; i < lines.length && seen < n; i++) {
    if (lines[i] !== '' && lines[i] !== '\r') seen++;
    head.push(lines[i]!);
  }
  const rest = lines.slice(i).map((l) => (l === '' || l === '\r' ? l : map(l)));
  if (i === lines.length) return [head.join('\n'), ''];
  return [head.map((l) => `${l}\n`).join(''), rest.join('\n')];
}

test('cutLines copies the first n non-blank lines to one file and maps the rest into the other, across chunk boundaries', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sealflow-cut-'));
  try {
    const long = Array.from({ length: 40_000 }, (_, i) => `${i},${'x'.repeat(i % 70)},lab${i}`).join('\n'); // > 1 MiB: several chunks
    const cases: [string, number][] = [['', 0], ['a,b\n', 0], ['a,b\n', 1], ['a,b\nc,d', 1], ['a,b\n\nc,d\n', 1], ['\na,b\r\n\r\nc,d\r\ne,f', 2],
      ['a,b\nc,d\n', 5], [long, 20_000], [`${long}\n`, 39_999]];
    const strip = (l: string) => l.slice(0, l.lastIndexOf(',') + 1);
    for (const [text, n] of cases) {
      const f = path.join(dir, 'in');
      await writeFile(f, text);
      for (const mapped of [false, true]) {
        const [a, b] = [path.join(dir, 'a'), path.join(dir, 'b')];
        const seen = await cutLines(f, n, a, b, mapped ? (l) => l.subarray(0, l.lastIndexOf(0x2c) + 1) : undefined);
        const [ea, eb] = cutReference(text, n, mapped ? strip : (l) => l);
        assert.equal(await readFile(a, 'utf8'), ea, `first part of ${JSON.stringify(text.slice(0, 30))} at ${n}`);
        assert.equal(await readFile(b, 'utf8'), eb, `rest of ${JSON.stringify(text.slice(0, 30))} at ${n}, mapped ${mapped}`);
        assert.equal(seen, await countLines(f));
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('sizes and counts parse with decimal and binary units, and bad ones are refused with the value', () => {
  assert.equal(parseSize('100MB'), 100_000_000);
  assert.equal(parseSize('10MiB'), 10 * 2 ** 20);
  assert.equal(parseSize('1GB'), 1e9);
  assert.equal(parseSize('4096'), 4096);
  assert.throws(() => parseSize('ten MB'), /invalid size 'ten MB'/);
  assert.equal(parseCount('1e7'), 1e7);
  assert.equal(parseCount('3M'), 3e6);
  assert.equal(parseCount('100k'), 1e5);
  assert.throws(() => parseCount('-5'), /invalid count/);
});

test('the seeded generator repeats per seed and its Zipf sampler favours low ranks', () => {
  const draw = (seed: number) => Array.from({ length: 5 }, () => new Random(seed).uint32());
  assert.deepEqual(draw(1), draw(1));
  const a = new Random(1);
  const b = new Random(2);
  assert.notEqual(a.uint32(), b.uint32());
  const rng = new Random(3);
  const zipf = new ZipfSampler(1000);
  const counts = new Array<number>(1000).fill(0);
  for (let i = 0; i < 20_000; i++) counts[zipf.sample(rng)]!++;
  assert.ok(counts[0]! > counts[9]! && counts[9]! > counts[499]!, `${counts[0]} ${counts[9]} ${counts[499]}`);
  for (let i = 0; i < 1000; i++) {
    const x = rng.float();
    assert.ok(x >= 0 && x < 1);
  }
});
