import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError } from '../../src/errors.js';
import { parseJournal } from '../../src/engine/journal.js';
import { runStartedOf } from '../../src/engine/resume-record.js';
import { targets } from '../fuzz/targets/resume-journal.js';

const refusedWith = (text: string, pattern: RegExp) =>
  assert.throws(() => runStartedOf(parseJournal(Buffer.from(`${text}\n`)).events, 'runs/R/journal.jsonl', 'R'), (e: unknown) => e instanceof InputError && pattern.test(e.message));

describe('the run-started record a resume starts from', () => {
  const good = { type: 'run-started', t: 1, runId: 'R', workflow: '/w/flow.yaml', name: 'chain', steps: ['a'], inputs: {}, concurrency: 1, keepGoing: false, pid: 1, host: 'h' };

  test('a record written before shape, encrypted and platform existed is accepted', () => {
    assert.equal(runStartedOf(parseJournal(Buffer.from(`${JSON.stringify(good)}\n`)).events, 'j', 'R').name, 'chain');
  });

  test('a damaged record is refused naming the journal and the field, not crashing the resume', () => {
    refusedWith(JSON.stringify({ ...good, steps: 'a' }), /--resume R: the journal runs\/R\/journal\.jsonl has a damaged run-started record: 'steps' should be a list of step ids; it cannot be resumed/);
    refusedWith(JSON.stringify({ ...good, inputs: null }), /'inputs' should be a map of input values/);
    refusedWith(JSON.stringify({ ...good, shape: { steps: { a: [1] }, outputs: [] } }), /'shape' should be/);
    refusedWith(JSON.stringify({ ...good, name: undefined }), /'name' should be the workflow name/);
    refusedWith(JSON.stringify({ type: 'step-started' }), /does not start with a run-started record/);
  });

  test('the resume-journal fuzz target accepts or refuses with InputError every truncation and byte flip of its seeds', async () => {
    const [target] = targets;
    assert.ok(target);
    for (const seed of await target.seeds()) {
      const inputs: Uint8Array[] = [];
      for (let n = 0; n <= seed.length; n += 7) inputs.push(seed.subarray(0, n));
      for (let i = 0; i < seed.length; i += 3) for (const b of [0x00, 0x22, 0x5b, 0x7d, 0x31]) inputs.push(Uint8Array.from(seed, (x, j) => (j === i ? b : x)));
      for (const input of inputs) {
        try {
          await target.run(input);
        } catch (e) {
          assert.ok(target.isOwnError(e), `${Buffer.from(input).toString()}\n→ ${e instanceof Error ? e.stack : String(e)}`);
        }
      }
    }
  });
});
