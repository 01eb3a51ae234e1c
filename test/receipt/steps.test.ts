/**
 * docs/protocol.md §14.1: the receipt names, per step instance, the worker
 * that ran the attempt whose outputs the run used, and for a worker in a
 * batch job its job id — so a hybrid run's receipt says which worker, on
 * which host or job, with which platform and evidence ran each step.
 * Receipts without these optional fields verify as before.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent } from '../../src/engine/events.js';
import { buildReceipt, stepRuns } from '../../src/master/receipt/build.js';
import { signReceipt, verifyReceiptBytes } from '../../src/master/receipt/signature.js';
import { masterSigner, sampleReceipt } from './sample.js';

const started = (step: string, index: number, attempt: number, worker: string): RunEvent => ({ type: 'step-started', t: 1, step, index, attempt, worker, host: 'h', hash: 'x' });
const succeeded = (step: string, index: number, attempt: number): RunEvent => ({ type: 'step-succeeded', t: 2, step, index, attempt, hash: 'x', outputs: {}, exitStatus: 0, durationMs: 1 });

describe('§14.1 the receipt names the worker of each step', () => {
  test('each step instance names the worker of its last successful attempt, not of an attempt lost with its worker', () => {
    const events: RunEvent[] = [
      started('split', 0, 1, 'here-1'),
      succeeded('split', 0, 1),
      started('reduce', 0, 1, 'hpc-1'),
      { type: 'step-failed', t: 3, step: 'reduce', index: 0, attempt: 1, exitStatus: null, signal: null, message: 'worker lost', stderrTail: '', willRetry: true, durationMs: 1, workerLost: true },
      started('reduce', 0, 2, 'hpc-2'),
      started('reduce', 1, 1, 'cloud-1'),
      succeeded('reduce', 1, 1),
      succeeded('reduce', 0, 2),
    ];
    assert.deepEqual(stepRuns(events), [
      { step: 'split', index: 0, attempt: 1, worker: 'here-1' },
      { step: 'reduce', index: 1, attempt: 1, worker: 'cloud-1' },
      { step: 'reduce', index: 0, attempt: 2, worker: 'hpc-2' },
    ]);
  });

  test('a worker in a Slurm job carries its job id; a job id that is not one is left out', () => {
    const events: RunEvent[] = [
      { type: 'run-started', t: 0, runId: 'r', workflow: 'w', name: 'n', steps: [], inputs: {}, concurrency: 1, keepGoing: false, pid: 1, host: 'm' },
      { type: 'worker-started', t: 1, worker: 'hpc-1', deployment: 'hpc', connector: 'slurm', platform: 'sim', host: 'n1', pid: 5, job: '42' },
      { type: 'worker-started', t: 1, worker: 'hpc-2', deployment: 'hpc', connector: 'slurm', platform: 'sim', host: 'n2', pid: 6, job: '42; rm -rf /' },
      { type: 'worker-started', t: 1, worker: 'here-1', deployment: 'here', connector: 'local', platform: 'sim', host: 'm', pid: 7 },
      started('split', 0, 1, 'hpc-1'),
      succeeded('split', 0, 1),
    ];
    const r = buildReceipt({ runId: 'r', events, decisions: [], pin: 'p', workflow: { file: 'w', sha256: 's' }, policySha256: null, tasksSha256: null, inputs: [], outputs: [], values: [], now: 3 });
    assert.deepEqual(r.workers.map((w) => [w.id, w.host, w.job]), [['hpc-1', 'n1', '42'], ['hpc-2', 'n2', undefined], ['here-1', 'm', undefined]]);
    assert.deepEqual(r.steps, [{ step: 'split', index: 0, attempt: 1, worker: 'hpc-1' }]);
  });

  test('a receipt without steps or job ids (as written before them) still verifies', () => {
    const m = masterSigner();
    const { steps: _, ...old } = sampleReceipt(m.pin);
    assert.ok(old.workers.every((w) => w.job === undefined));
    const bytes = Buffer.from(signReceipt(old, m.signingKey, m.publicKey));
    assert.equal(verifyReceiptBytes(bytes, { pin: m.pin }, 'old.json').run.id, old.run.id);
  });
});
