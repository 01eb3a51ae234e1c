/**
 * The share of the fuzz suite that `npm test` runs (docs/fuzzing.md): every
 * target of test/fuzz/targets/ gets its seeds and SEALFLOW_FUZZ_N inputs in
 * all (default 200) from the fixed PRNG seed. `npm run fuzz` runs 100,000.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fuzzTarget, loadTargets, REPO } from './run.js';

const N = Number.parseInt(process.env['SEALFLOW_FUZZ_N'] ?? '200', 10);
const entries = await loadTargets();

describe('fuzz targets', () => {
  test('every target listed in docs/fuzzing.md exists, and every target is listed there', () => {
    const doc = fs.readFileSync(path.join(REPO, 'docs', 'fuzzing.md'), 'utf8');
    const table = doc.slice(doc.indexOf('## What is fuzzed'), doc.indexOf('## How it works'));
    const listed = new Set(table.split('\n').filter((l) => l.startsWith('| `')).flatMap((l) => [...(l.split('|')[1] ?? '').matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1] as string)));
    const loaded = new Set(entries.map((e) => e.target.name));
    assert.deepEqual([...listed].filter((n) => !loaded.has(n)), [], 'listed but not loaded');
    // The channels' targets (targets/channel.ts) are documented with the protocol.
    const own = entries.filter((e) => path.basename(e.file) !== 'channel.js').map((e) => e.target.name);
    assert.deepEqual(own.filter((n) => !listed.has(n)), [], 'loaded but not listed');
  });
  for (const e of entries) {
    test(`${e.target.name} accepts or refuses ${N} mutated inputs with its own error, without crashing or hanging`, async () => {
      const lines: string[] = [];
      const r = await fuzzTarget(e, { n: N, log: (l) => lines.push(l) });
      assert.equal(r.failures.length, 0, lines.join('\n'));
      assert.equal(r.accepted + r.refused, N);
    });
  }
});
