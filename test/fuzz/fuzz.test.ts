/**
 * The share of the fuzz suite that `npm test` runs (docs/fuzzing.md): every
 * target of test/fuzz/targets/ gets its seeds and SEALFLOW_FUZZ_N inputs in
 * all (default 200) from the fixed PRNG seed. `npm run fuzz` runs 100,000.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fuzzTarget, loadTargets } from './run.js';

const N = Number.parseInt(process.env['SEALFLOW_FUZZ_N'] ?? '200', 10);
const entries = await loadTargets();

describe('fuzz targets', () => {
  test('every parser and decoder listed in docs/fuzzing.md has a target', () => {
    assert.ok(entries.length > 0);
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
