/**
 * Fault injection on the master (docs/protocol.md §11.3, §13), plain engine
 * path through the CLI: `sealflow run` is SIGKILLed while a step is writing
 * its output. Its workers must notice (lost channel), wipe their scratch and
 * exit within a bounded time; `--resume` must then redo only the unfinished
 * steps and give outputs byte-identical to an undisturbed run.
 * Repeated FAULT_RUNS times (2 in `npm test`, 10 in `npm run test:faults`).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readJournal } from '../../src/engine/journal.js';
import { runCli } from '../helpers/cli.js';
import { CHAIN, checkResumed, killMasterMidStep } from './chain.js';
import { FAULT_RUNS } from './harness.js';
let root: string;
let clean: { numbers: Buffer; summary: Buffer };

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-masterfault-'));
  const r = await runCli(['run', '--no-encrypt', CHAIN, '--state-dir', path.join(root, 'state'), '--out', path.join(root, 'clean'), '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  clean = { numbers: fs.readFileSync(path.join(root, 'clean', 'numbers')), summary: fs.readFileSync(path.join(root, 'clean', 'summary')) };
});

describe('§13 fault injection: the master', () => {
  test(`§13 the master SIGKILLed mid-step: workers wipe their scratch and exit; --resume redoes only unfinished steps, byte-identical outputs (${FAULT_RUNS} runs)`, async () => {
    for (let i = 0; i < FAULT_RUNS; i++) {
      const stateDir = path.join(root, `state-${i}`);
      const { runId, journal, before } = await killMasterMidStep(['--no-encrypt'], stateDir, root);
      assert.ok(!before.some((e) => e.type === 'run-finished'));
      const done = new Set(before.flatMap((e) => (e.type === 'step-succeeded' ? [e.step] : [])));
      assert.ok(done.has('gen') && !done.has('mid'), `completed before the kill: ${[...done].join(', ')}`);

      const out = path.join(root, `resumed-${i}`);
      const resumed = await runCli(['run', '--no-encrypt', '--resume', runId, '--state-dir', stateDir, '--out', out, '--quiet']);
      assert.equal(resumed.code, 0, resumed.stderr);
      checkResumed(readJournal(journal).events, done);
      assert.deepEqual(fs.readFileSync(path.join(out, 'numbers')), clean.numbers);
      assert.deepEqual(fs.readFileSync(path.join(out, 'summary')), clean.summary);
    }
  });
});
