import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parseFast, resolvePlain } from '../../src/workflow/fast-yaml.js';
import { parseFull } from '../../src/workflow/yaml-full.js';
import { REPO } from '../helpers/cli.js';

/** Texts inside the fast subset: the fast parser must accept them and agree with the full parser, offsets included. */
const SUBSET = [
  'a: 1\nb: two\nc:\n',
  'a:\n  b:\n    c: [x, y]\n  d: { e: f, g: [1, 2.5, -3, 0x1F, 0o17, .inf, -.Inf, .NaN, 1e3] }\n',
  'steps:\n  s:\n    command: [bowtie2-align-s, -p, $(threads), -x, $(index)/lambda_virus, --reorder]\n',
  'list:\n- a\n- b: 1\n  c: 2\n-\n- - x\n  - y\n',
  'k: "quoted: \\"x\\" \\u00e9 \\n"\nq: \'it\'\'s\'\nr: plain with spaces   # comment\n',
  '# leading comment\n\na: 1 # trailing\n\n# between\nb:\n  # inside\n  c: d\n',
  'run: ./tasks/split.ts#split\nurl: http://example.com/x\nmem: 2GiB\nneg: -1\nflag: --x\n',
  'm: {a: 1, b: {c: [d, e]}, f: null, g: ~, h: true, i: False, j: NULL}\n',
  'cmd: [a,\n      b, c,\n      d]\nnext: 1\n',
  'ports: { out: "file[]", opt: \'string?\', n: "3" }\n',
  'e: []\nf: {}\ng: [[], [[]], {}]\n',
  '"quoted key": 1\n\'k2\': 2\n',
  'a: {x: }\nb: [a, ]\n',
  '- 1\n- two\n',
  '',
  '   \n# only a comment\n',
  'bindings:\n  - step: align\n    deployment: local\n  - tee: sgx\n    deployment: local\nconcurrency: 2\n',
  'x: 007\ny: +12\nz: 1_000\nw: 0b101\nv: 12:30\nu: yes\nt: .5\n',
  'a: b#c\nd: "e" # f\n',
  'a:   # comment after key\n  b: 1\nc:    \nd: x\n',
  'a:  # c\nb: 1\nl:\n  -   # c\n  -\n  - 1\n',
];

/** Texts outside the subset (or invalid): the fast parser must decline them. */
const OUTSIDE = [
  'a: &x 1\nb: *x\n',
  'a: |\n  text\n',
  'a: >\n  folded\n',
  'a: !!str 1\n',
  'a: plain\n  continued\n',
  'a:\tb\n',
  '---\na: 1\n',
  'a: 1\na: 2\n',
  'a: [1\nb: 2\n',
  'a: b: c\n',
  '? complex\n: value\n',
  'a: "multi\n  line"\n',
  '[a, b]\n',
  'a:\n  - x\n y: 1\n',
  'a: {b: c, b: d}\n',
  'a:\n  b\n',
  'a: [x\ny]\n',
  `${Array.from({ length: 40 }, (_, i) => `k${i}: 1`).join('\n')}\nk7: 2\n`,
  `a: { ${Array.from({ length: 40 }, (_, i) => `k${i}: 1`).join(', ')}, k30: 1 }\n`,
];

describe('fast YAML parser', () => {
  for (const [i, text] of SUBSET.entries()) {
    test(`agrees with the full parser on subset text ${i}, offsets included`, () => {
      const fast = parseFast(text);
      assert.notEqual(fast, undefined, `the fast parser declined: ${JSON.stringify(text)}`);
      const full = parseFull(text);
      assert.ok('node' in full, JSON.stringify(full));
      assert.deepEqual(fast, full.node);
    });
  }

  for (const [i, text] of OUTSIDE.entries()) {
    test(`declines text outside the subset or invalid (${i})`, () => {
      assert.equal(parseFast(text), undefined, JSON.stringify(text));
    });
  }

  test('agrees with the full parser on every fixture and example YAML file', async () => {
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const p = path.join(dir, e.name);
        if (e.isDirectory() && e.name !== 'node_modules' && !e.name.startsWith('.')) await walk(p);
        else if (/\.ya?ml$/.test(e.name)) files.push(p);
      }
    };
    await walk(path.join(REPO, 'test', 'fixtures'));
    await walk(path.join(REPO, 'examples'));
    assert.ok(files.length > 0);
    for (const f of files) {
      const text = await readFile(f, 'utf8');
      const fast = parseFast(text);
      if (fast === undefined) continue;
      const full = parseFull(text);
      assert.ok('node' in full, `${f}: ${JSON.stringify(full)}`);
      assert.deepEqual(fast, full.node, f);
    }
  });

  test('agrees with the full parser on a generated 1000-step workflow', () => {
    const lines = ['inputs:', '  n: { type: number, default: 1 }', 'steps:'];
    for (let i = 0; i < 1000; i++) lines.push(`  s${i}:`, '    command: [true]', '    in:', '      x: n', '    out:', '      o: { type: file, glob: out }');
    lines.push('  gather:', '    command: [cat, $(all)]', `    in: { all: [${Array.from({ length: 1000 }, (_, i) => `s${i}/o`).join(', ')}] }`);
    const text = `${lines.join('\n')}\n`;
    const fast = parseFast(text);
    assert.notEqual(fast, undefined);
    const full = parseFull(text);
    assert.ok('node' in full);
    assert.deepEqual(fast, full.node);
  });

  test('never disagrees with the full parser on random YAML-like texts (property test)', () => {
    // mulberry32: a small deterministic PRNG, so a failure reproduces.
    let state = 0x5eed;
    const rnd = (): number => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)] as T;
    const scalars = ['a', 'b c', '-1', '08', '1.0', 'true', 'null', '~', '', "'q'", '"d"', '"e\\"f"', "'it''s'", 'x#y', 'x #c', '$(t)', './p.ts#e', 'a:b', 'a: b', '-', '- x', '[', ']', '{', '}', ',', '"', "'", '&a', '*a', '!t', '|', '>', '?', ':', '%', '@', '`', '0x1F', '.inf', '1e3', 'http://x', 'k:', ' ', '#c'];
    const flowNode = (d: number): string => {
      const r = rnd();
      if (d > 2 || r < 0.5) return pick(scalars);
      if (r < 0.75) return `[${Array.from({ length: Math.floor(rnd() * 4) }, () => flowNode(d + 1)).join(pick([', ', ',', ' , ', ',\n   ']))}${pick([']', ', ]', ' ]'])}`;
      return `{${Array.from({ length: Math.floor(rnd() * 4) }, () => pick(['a', 'b', '"k"']) + pick([': ', ':', ' : ']) + flowNode(d + 1)).join(pick([', ', ',']))}${pick(['}', ' }'])}`;
    };
    const block = (indent: number, d: number): string[] => {
      const lines: string[] = [];
      const isSeq = rnd() < 0.3;
      for (let i = 1 + Math.floor(rnd() * 3); i > 0; i--) {
        const pad = ' '.repeat(Math.max(0, indent + (rnd() < 0.05 ? pick([-1, 1]) : 0)));
        const head = isSeq ? '- ' : pick(['a', 'b', 'c', '"q"', 'k k', '1']) + pick([':', ': ', ':  ']);
        const r = rnd();
        if (d < 3 && r < 0.35) lines.push(pad + head.trimEnd() + pick(['', ' # c', '  ']), ...block(indent + pick([2, 4, 1]), d + 1));
        else if (r < 0.5) lines.push(pad + head + flowNode(0));
        else lines.push(pad + head + pick(scalars) + pick(['', ' # c', '#x', '  ']));
        if (rnd() < 0.1) lines.push(pick(['', '# comment', '   # c', '  ']));
      }
      return lines;
    };
    let accepted = 0;
    for (let i = 0; i < 4000; i++) {
      const text = block(0, 0).join('\n') + pick(['\n', '', '\n\n']);
      const fast = parseFast(text);
      if (fast === undefined) continue;
      accepted++;
      const full = parseFull(text);
      assert.ok('node' in full, `the fast parser accepted text the full parser rejects: ${JSON.stringify(text)}`);
      assert.deepEqual(fast, full.node, JSON.stringify(text));
    }
    assert.ok(accepted > 400, `only ${accepted} random texts were in the subset`);
  });

  test('resolves plain scalars as the YAML 1.2 core schema does', () => {
    assert.equal(resolvePlain('~'), null);
    assert.equal(resolvePlain('TRUE'), true);
    assert.equal(resolvePlain('yes'), 'yes');
    assert.equal(resolvePlain('0x10'), 16);
    assert.equal(resolvePlain('-0x10'), '-0x10');
    assert.equal(resolvePlain('1.50'), 1.5);
    assert.equal(resolvePlain('2GiB'), '2GiB');
  });
});
