/** A damaged journal record is named, not a TypeError inside the summary (docs/fuzzing.md, the `journal` finding). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { summarize } from '../../src/engine/inspect.js';
import type { RunEvent } from '../../src/engine/events.js';
import { InputError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';

const started = { type: 'run-started', t: 1, runId: 'r1', name: 'wf', workflow: 'flow.yaml', pid: 1, host: 'elsewhere', steps: ['a', 'b'] };

test('a run-started record whose steps is not a list is an InputError naming the run, the record and the field', () => {
  for (const steps of [7, 'ab', { length: 2 }, [1, 2]]) {
    assert.throws(
      () => summarize('r1', [{ ...started, steps } as unknown as RunEvent]),
      (e) => e instanceof InputError && /journal of run r1, record 1 \(run-started\): field steps/.test(e.message),
    );
  }
  assert.equal(summarize('r1', [started as unknown as RunEvent]).instances.length, 2, 'a well-formed journal still summarises');
});

test('a step record with a non-integer index or a record without a time is refused the same way', () => {
  assert.throws(() => summarize('r1', [started, { type: 'step-started', t: 2, step: 'a', index: '0', attempt: 1 }] as unknown as RunEvent[]), /record 2 \(step-started\): field index/);
  assert.throws(() => summarize('r1', [started, { type: 'step-reused', step: 'a', index: 0 }] as unknown as RunEvent[]), /record 2: not a journal record/);
});

test('`sealflow runs` names a run whose journal is damaged, exits 1, and still lists the others', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-journal-shape-'));
  try {
    const runs = path.join(root, 'runs');
    for (const [id, steps] of [['20260101-000000-aaaaaa', ['a']], ['20260101-000001-bbbbbb', 5]] as const) {
      fs.mkdirSync(path.join(runs, id), { recursive: true });
      fs.writeFileSync(path.join(runs, id, 'journal.jsonl'), `${JSON.stringify({ ...started, runId: id, steps })}\n`);
    }
    const r = await runCli(['runs', '--state-dir', root], { cwd: root });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /journal of run 20260101-000001-bbbbbb, record 1 \(run-started\): field steps/);
    assert.match(r.stdout, /20260101-000000-aaaaaa/);
    assert.doesNotMatch(r.stderr, /TypeError|internal error/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
