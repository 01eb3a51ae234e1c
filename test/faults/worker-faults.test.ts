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
import type { RunEvent } from '../../src/engine/events.js';
import type { WorkerPool } from '../../src/engine/workers.js';
import type { Workflow } from '../../src/workflow/model.js';
import { events, tmpDir } from '../engine/build.js';
import { alive } from '../cli/run-helpers.js';
import { checkJournal, cleanChain, disturbMid, fileBytes, type ChainOutputs } from './chain.js';
import { FAULT_RUNS, faultRun, until, workerOf } from './harness.js';

let wf: Workflow;
let clean: ChainOutputs;

before(async () => {
  ({ wf, clean } = await cleanChain());
});

/** Disturbs the worker running `mid` once its output has begun in its scratch directory (mid is held there until the re-run starts). */
async function disturbedRun(disturb: (pool: WorkerPool, worker: string) => void): Promise<{ ev: RunEvent[]; victimPid: number }> {
  const { options, victim } = disturbMid(tmpDir('sealflow-faults-'), 'writing', disturb);
  const { outcome } = await faultRun(wf, options);
  assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
  assert.ok(victim.wasWriting, 'the step had begun writing its output');
  assert.deepEqual(fileBytes(outcome.outputs['numbers']), clean.numbers);
  assert.deepEqual(fileBytes(outcome.outputs['summary']), clean.summary);
  return { ev: events(outcome.runDir), victimPid: victim.pid };
}

describe('§12 fault injection: workers', () => {
  test(`§12 a worker SIGKILLed mid-step: the step re-runs elsewhere, outputs byte-identical to an undisturbed run (${FAULT_RUNS} runs)`, async () => {
    for (let i = 0; i < FAULT_RUNS; i++) {
      const { ev, victimPid } = await disturbedRun((pool, w) => process.kill(workerOf(pool, w).pid, 'SIGKILL'));
      checkJournal(ev, 'mid');
      assert.ok(await until(() => !alive(victimPid)), 'the killed worker is gone');
    }
  });

  test(`§12 a worker whose connection is closed mid-transfer is declared lost and killed; the step re-runs, outputs byte-identical (${FAULT_RUNS} runs)`, async () => {
    for (let i = 0; i < FAULT_RUNS; i++) {
      const { ev, victimPid } = await disturbedRun((pool, w) => workerOf(pool, w).channel.close());
      checkJournal(ev, 'mid');
      const lost = ev.find((e) => e.type === 'worker-lost');
      assert.match(lost?.type === 'worker-lost' ? lost.reason : '', /connection closed/);
      assert.ok(await until(() => !alive(victimPid)), 'the disconnected worker is gone');
    }
  });
});
