/**
 * The fuzz runner itself (run.ts): a foreign throw, an endless synchronous
 * loop, a promise that never settles and a process killed by a signal are each reported
 * with target, iteration and mutator, the input is saved, and the run goes
 * on with the next input. Mutations are the same for the same seed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { mutate, Prng } from './mutators.js';
import { fuzzTarget, loadTargetFile, type TargetEntry } from './run.js';

const SELFTEST = path.join(path.dirname(fileURLToPath(import.meta.url)), 'selftest', 'targets.js');
const entries = await loadTargetFile(SELFTEST);
const entry = (name: string): TargetEntry => entries.find((e) => e.target.name === name) as TargetEntry;

async function runOn(name: string, n = 20) {
  const crashDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-fuzz-selftest-'));
  const lines: string[] = [];
  const report = await fuzzTarget(entry(name), { n, crashDir, log: (l) => lines.push(l) });
  return { report, crashDir, log: lines.join('\n') };
}

describe('fuzz runner', () => {
  const cases: ReadonlyArray<[string, string, RegExp]> = [
    ['selftest-foreign', 'foreign', /TypeError: not one of ours/],
    ['selftest-loop', 'hang', /no answer for 1000 ms/],
    ['selftest-pending', 'hang', /no answer for 1000 ms/],
    ['selftest-crash', 'crash', /the process ended/],
  ];
  for (const [name, kind, detail] of cases) {
    test(`reports a ${kind} (${name}) with target, iteration and mutator, saves the input, and goes on`, async () => {
      const { report, crashDir, log } = await runOn(name);
      after(() => fs.rmSync(crashDir, { recursive: true, force: true }));
      const first = report.failures[0];
      assert.ok(first !== undefined, log);
      assert.equal(first.kind, kind);
      assert.equal(first.iteration, 1, 'the seed that triggers it is iteration 1');
      assert.equal(first.mutator, 'seed');
      assert.match(first.detail, detail);
      assert.equal(fs.readFileSync(first.saved, 'utf8').slice(0, 1), name === 'selftest-foreign' ? 'T' : name === 'selftest-loop' ? 'L' : name === 'selftest-pending' ? 'P' : 'C');
      assert.ok(first.saved.startsWith(path.join(crashDir, name)));
      assert.match(log, new RegExp(`FUZZ FAILURE target=${name} iteration=1 mutator=seed kind=${kind} saved=`));
      assert.match(log, /repro: node .*run\.js --repro /);
      assert.equal(report.accepted + report.refused + report.failures.length, 20, 'every input was run, the ones after the failure too');
    });
  }

  test('the same seed gives the same inputs, another seed other ones', () => {
    const seeds = [new TextEncoder().encode('a: [1, 2]\nb: {c: d}\n')];
    const run = (seed: number): string[] => {
      const rng = new Prng(seed, 't');
      return Array.from({ length: 50 }, () => Buffer.from(mutate(seeds, rng).input).toString('hex'));
    };
    assert.deepEqual(run(1), run(1));
    assert.notDeepEqual(run(1), run(2));
  });
});
