/**
 * Nothing a worker says ends a step (DESIGN.md, "A worker is never trusted
 * for what it says"): a worker that reports `cancelled` for an attempt the
 * master never cancelled — its host stopped it, e.g. SIGTERM from Slurm's
 * scancel — has not finished it. The scheduler re-runs the attempt, and a run
 * in which a step ended cancelled never reports success. Driven through the
 * real Scheduler with a dispatcher that records assignments, so the worker's
 * answers are exactly the ones under test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContentHasher } from '../../src/engine/hash.js';
import type { Journal } from '../../src/engine/journal.js';
import type { RunEvent } from '../../src/engine/events.js';
import { RunDir } from '../../src/engine/run-dir.js';
import { Scheduler } from '../../src/engine/scheduler.js';
import type { WorkerHandle } from '../../src/connectors/connector.js';
import type { AssignMsg } from '../../src/protocol/execution.js';
import { cmd, tmpDir, workflow } from './build.js';

function harness() {
  const runDir = new RunDir(tmpDir('sealflow-unasked-'), 'run');
  runDir.create();
  const assigned: AssignMsg[] = [];
  const cancelled: string[] = [];
  const journalled: RunEvent[] = [];
  // The journal as the scheduler writes it (the file format is tested elsewhere).
  const journal = { append: (e: RunEvent) => (journalled.push(e), e) } as unknown as Journal;
  const worker = { id: 'w-1', host: 'h' } as unknown as WorkerHandle;
  const wf = workflow([cmd('a', { argv: ['true'] }), cmd('b', { argv: ['true'], in: { x: { from: 'a/done', type: 'string?' } } })]);
  const scheduler = new Scheduler({
    workflow: wf,
    inputs: {},
    concurrency: 1,
    keepGoing: false,
    deploymentFor: () => 'local',
    runDir,
    bundle: null,
    prior: new Map(),
    hasher: new ContentHasher(),
    journal,
    dispatcher: {
      assign: (_d, m) => (assigned.push(m), worker),
      cancel: (id) => void cancelled.push(id),
    },
  });
  return { assigned, cancelled, journalled, scheduler };
}

test('a worker that reports cancelled for an attempt nobody cancelled gets it re-run, and the run succeeds only once every step has', async () => {
  const h = harness();
  const done = h.scheduler.start();
  assert.equal(h.assigned.length, 1, 'step a was assigned');
  const first = h.assigned[0]!;
  h.scheduler.onResult({ type: 'cancelled', id: first.id });
  assert.equal(h.assigned.length, 2, 'step a was assigned again after the unasked cancel');
  assert.deepEqual(h.cancelled, [], 'the master cancelled nothing');
  h.scheduler.onResult({ type: 'succeeded', id: h.assigned[1]!.id, outputs: {}, exitStatus: 0, durationMs: 1 });
  assert.equal(h.assigned.length, 3, 'step b ran after a succeeded');
  h.scheduler.onResult({ type: 'succeeded', id: h.assigned[2]!.id, outputs: {}, exitStatus: 0, durationMs: 1 });
  const r = await done;
  assert.equal(r.state, 'succeeded');
  const ev = h.journalled;
  assert.ok(!ev.some((e) => e.type === 'step-cancelled'), 'no step was taken as cancelled');
  const failed = ev.find((e) => e.type === 'step-failed');
  assert.ok(failed?.type === 'step-failed' && failed.workerLost === true && failed.willRetry, 'the unasked cancel is journalled as a lost attempt that is retried');
});

test('a worker that keeps cancelling on its own exhausts the losses a step may have, and the run fails instead of succeeding', async () => {
  const h = harness();
  const done = h.scheduler.start();
  for (let i = 0; i < 10 && h.assigned.length > i; i++) h.scheduler.onResult({ type: 'cancelled', id: h.assigned[i]!.id });
  const r = await done;
  assert.equal(r.state, 'failed');
  assert.ok(h.journalled.some((e) => e.type === 'step-failed' && !e.willRetry), 'the last loss is journalled as final');
});
