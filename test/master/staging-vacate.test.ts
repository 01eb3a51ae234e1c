/**
 * A worker whose outputs are copied back over ssh (src/master/staging.ts)
 * is free as soon as it reports a result: the scheduler gives it its next
 * assignment while the copy-back is in flight, counts the cores right, and
 * still re-runs an attempt whose copy-back was cut by a lost connection.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkerHandle } from '../../src/connectors/connector.js';
import type { AssignMsg, WorkerToMaster } from '../../src/protocol/execution.js';
import { Scheduler } from '../../src/engine/scheduler.js';
import { RunDir } from '../../src/engine/run-dir.js';
import { Journal, readJournal } from '../../src/engine/journal.js';
import { ContentHasher } from '../../src/engine/hash.js';
import { cmd, workflow } from '../engine/build.js';
import { assignMsg, settle, staged } from './staging-fakes.js';

describe('staging: the worker takes its next assignment while the previous outputs are copied back', () => {
  test('the worker is reported free at once, gets the next assignment during the copy, and the result arrives with the master\'s paths when the copy is done', async () => {
    const { ch, sent, got, vacated, gates, answer } = staged({ getTree: 'gated', connected: () => true });
    ch.send(assignMsg('a1'));
    await settle();
    const remoteOut = (sent[0] as AssignMsg).outDir;
    answer({ type: 'succeeded', id: 'a1', outputs: { o: { path: `${remoteOut}/o.age` } }, exitStatus: 0, durationMs: 1 } as unknown as WorkerToMaster);
    await settle();
    assert.deepEqual(vacated, ['a1'], 'free before its outputs are back');
    assert.equal(got.length, 0, 'no result before its outputs are back');
    ch.send(assignMsg('a2'));
    await settle();
    assert.deepEqual(sent.map((m) => (m as AssignMsg).id), ['a1', 'a2'], 'the next assignment reached the worker during the copy');
    gates[0]!.open();
    await settle();
    assert.deepEqual(got.map((m) => m.type), ['succeeded']);
    assert.deepEqual((got[0] as unknown as { outputs: unknown }).outputs, { o: { path: '/m/out/a1/o.age' } });
  });

  test('a copy-back cut by a lost connection delivers nothing for that attempt, though the worker was reported free', async () => {
    let up = true;
    const { ch, got, vacated, gates, answer } = staged({ getTree: 'gated', connected: () => up });
    ch.send(assignMsg('a1'));
    await settle();
    answer({ type: 'succeeded', id: 'a1', outputs: {}, exitStatus: 0, durationMs: 1 } as unknown as WorkerToMaster);
    await settle();
    up = false;
    gates[0]!.cut(new Error('connection reset'));
    await settle();
    assert.deepEqual(vacated, ['a1']);
    assert.deepEqual(got, [], 'a cut copy-back is never delivered as a success');
  });
});

describe('scheduler: an attempt whose worker is free but whose result is on its way', () => {
  /** Runs a workflow of `n` independent steps at concurrency 1 on a dispatcher the test drives. */
  function harness(n: number) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-vacate-'));
    const runDir = new RunDir(dir, 'r1');
    runDir.create();
    const journal = Journal.create(runDir.journal);
    const assigned: AssignMsg[] = [];
    const worker = { id: 'cloud-1', host: 'h1' } as WorkerHandle;
    const steps = Array.from({ length: n }, (_, i) => cmd(`s${i}`, { argv: ['true'] }));
    const scheduler = new Scheduler({
      workflow: workflow(steps), inputs: {}, concurrency: 1, keepGoing: false, deploymentFor: () => 'cloud', runDir, bundle: null,
      prior: new Map(), hasher: new ContentHasher(), journal,
      dispatcher: { assign: (_d, m) => (assigned.push(m), worker), cancel: () => undefined },
    });
    const ok = (id: string) => scheduler.onResult({ type: 'succeeded', id, outputs: {}, exitStatus: 0, durationMs: 1 } as unknown as WorkerToMaster & { type: 'succeeded' });
    return { dir, runDir, journal, assigned, worker, scheduler, ok };
  }

  test('at concurrency 1 the next step starts when the worker is free, one at a time, and the run ends only when every result is recorded', async () => {
    const h = harness(3);
    const done = h.scheduler.start();
    assert.equal(h.assigned.length, 1);
    h.scheduler.onVacated(h.assigned[0]!.id);
    assert.equal(h.assigned.length, 2, 'the next step went to the free worker');
    h.scheduler.onVacated(h.assigned[0]!.id);
    assert.equal(h.assigned.length, 2, 'a repeated report frees nothing more');
    h.ok(h.assigned[0]!.id);
    assert.equal(h.assigned.length, 2, 'the recorded result frees no second core');
    h.ok(h.assigned[1]!.id);
    assert.equal(h.assigned.length, 3);
    h.scheduler.onVacated(h.assigned[2]!.id);
    await new Promise((r) => setImmediate(r));
    let finished = false;
    void done.then(() => (finished = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(finished, false, 'the run waits for the result being copied back');
    h.ok(h.assigned[2]!.id);
    assert.equal((await done).state, 'succeeded');
    await h.journal.close();
    fs.rmSync(h.dir, { recursive: true, force: true });
  });

  test('a worker lost while its result is copied back: the attempt is re-run, and the cores stay counted right', async () => {
    const h = harness(2);
    const done = h.scheduler.start();
    const first = h.assigned[0]!;
    h.scheduler.onVacated(first.id);
    const second = h.assigned[1]!;
    h.scheduler.onWorkerLost(h.worker, [first.id, second.id], 'its connection closed');
    assert.equal(h.assigned.length, 3, 'one re-run at a time under concurrency 1');
    h.ok(h.assigned[2]!.id);
    assert.equal(h.assigned.length, 4);
    h.ok(h.assigned[3]!.id);
    assert.equal((await done).state, 'succeeded');
    await h.journal.close();
    const ev = readJournal(h.runDir.journal).events;
    const lost = ev.filter((e) => e.type === 'step-failed' && e.workerLost === true && e.willRetry);
    assert.equal(lost.length, 2, 'both attempts were lost with the worker, without using up a retry');
    assert.deepEqual(h.assigned.slice(2).map((m) => m.label).sort(), [first.label, second.label].sort(), 'both lost attempts ran again');
    assert.equal(ev.filter((e) => e.type === 'step-succeeded').length, 2);
    fs.rmSync(h.dir, { recursive: true, force: true });
  });
});
