/**
 * Fault injection on workers (docs/protocol.md §12), plain engine path
 * (platform none, local connector): a worker SIGKILLed mid-step, and a
 * worker whose connection is closed while its step is writing its output.
 * Each is repeated FAULT_RUNS times (2 in `npm test`, 10 in `npm run
 * test:faults`); every run must give outputs byte-identical to an
 * undisturbed run's, with only the disturbed step run again.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { RunEvent } from '../../src/engine/events.js';
import type { WorkerPool } from '../../src/engine/workers.js';
import type { Workflow } from '../../src/workflow/model.js';
import { events, tmpDir } from '../engine/build.js';
import { alive } from '../cli/run-helpers.js';
import { chainWorkflow, checkJournal, fileBytes } from './chain.js';
import { FAULT_RUNS, faultRun, until, workerOf } from './harness.js';

let wf: Workflow;
let clean: { numbers: Buffer; summary: Buffer };

before(async () => {
  wf = await chainWorkflow();
  const { outcome } = await faultRun(wf);
  assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
  clean = { numbers: fileBytes(outcome.outputs['numbers']), summary: fileBytes(outcome.outputs['summary']) };
});

/** Disturbs the worker running `mid` once its output file has begun to grow in its scratch directory. */
async function disturbedRun(disturb: (pool: WorkerPool, worker: string) => void): Promise<{ ev: RunEvent[]; victimPid: number }> {
  const stateDir = tmpDir('sealflow-faults-');
  let scratch = '';
  let victimPid = 0;
  const { outcome } = await faultRun(wf, {
    stateDir,
    onEvent: (e, pool) => {
      if (e.type === 'run-started') scratch = path.join(stateDir, 'runs', e.runId, 'scratch', 'mid.0.1', 'o');
      if (e.type === 'step-started' && e.step === 'mid' && e.attempt === 1) {
        victimPid = workerOf(pool, e.worker).pid;
        void until(() => fs.existsSync(scratch) && fs.statSync(scratch).size > 0, 5000).then((growing) => {
          assert.ok(growing, 'the step had begun writing its output');
          disturb(pool, e.worker);
        });
      }
    },
  });
  assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
  assert.deepEqual(fileBytes(outcome.outputs['numbers']), clean.numbers);
  assert.deepEqual(fileBytes(outcome.outputs['summary']), clean.summary);
  return { ev: events(outcome.runDir), victimPid };
}

describe('§12 fault injection: workers', () => {
  test(`§12 a worker SIGKILLed mid-step: the step re-runs elsewhere, outputs byte-identical to an undisturbed run (${FAULT_RUNS} runs)`, async () => {
    for (let i = 0; i < FAULT_RUNS; i++) {
      const { ev, victimPid } = await disturbedRun((pool, w) => process.kill(workerOf(pool, w).pid, 'SIGKILL'));
      checkJournal(ev, 'mid');
      assert.ok(!alive(victimPid));
    }
  });

  test(`§12 a worker whose connection is closed mid-transfer is declared lost and killed; the step re-runs, outputs byte-identical (${FAULT_RUNS} runs)`, async () => {
    for (let i = 0; i < FAULT_RUNS; i++) {
      const { ev, victimPid } = await disturbedRun((pool, w) => workerOf(pool, w).channel.close());
      checkJournal(ev, 'mid');
      const lost = ev.find((e) => e.type === 'worker-lost');
      assert.match(lost?.type === 'worker-lost' ? lost.reason : '', /connection closed/);
      assert.ok(await until(() => !alive(victimPid), 5000), 'the disconnected worker is gone');
    }
  });
});
