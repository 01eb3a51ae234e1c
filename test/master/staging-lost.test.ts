/**
 * The master's staging (src/master/staging.ts) when a copy to or from a
 * worker's host fails: a failure while the host's connection lives is the
 * step's (reported as `failed`); one cut by a lost connection is the
 * worker's loss, so nothing is reported for the attempt (the pool re-runs
 * it once the worker is declared lost), and a cut copy-back of a success is
 * never delivered as a success.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Stager } from '../../src/connectors/connector.js';
import { stagedChannel } from '../../src/master/staging.js';
import type { Channel } from '../../src/protocol/channel.js';
import type { AssignMsg, MasterToWorker, WorkerToMaster } from '../../src/protocol/execution.js';

/** A worker channel the test drives: what was sent to the worker, and a way to answer as the worker. */
function fakeInner() {
  const sent: MasterToWorker[] = [];
  let handler: ((m: WorkerToMaster) => void) | undefined;
  const ch: Channel<MasterToWorker, WorkerToMaster> = {
    send: (m) => void sent.push(m),
    onMessage: (h) => void (handler = h),
    onClose: () => undefined,
    close: () => undefined,
  };
  return { ch, sent, answer: (m: WorkerToMaster) => handler?.(m) };
}

function stager(o: { putFails?: boolean; getFails?: boolean; connected?: boolean }): Stager {
  return {
    put: async (p) => {
      if (o.putFails) throw new Error('upload cut');
      return `/remote/${p.length}`;
    },
    fresh: () => '/remote/fresh',
    getTree: async () => {
      if (o.getFails) throw new Error('download cut');
    },
    getFile: async () => undefined,
    scratch: () => '/remote/scratch',
    discard: () => undefined,
    ...(o.connected === undefined ? {} : { connected: async () => o.connected as boolean }),
  };
}

const assign = {
  type: 'assign', id: 'a1', label: 'mid', exec: { kind: 'command', argv: ['true'] }, inputs: {}, outputs: [], threads: 1,
  scratchDir: '/m/scratch/a1', outDir: '/m/out/a1', logBase: '/m/logs/a1', sealed: { files: { '/m/in/x.age': {} } },
} as unknown as AssignMsg;

/** Lets the channel's promise chains run. */
const settle = () => new Promise((r) => setImmediate(r));

describe('staging: copies cut by a lost connection', () => {
  test('an input copy that fails while the host is connected fails the attempt, naming the step and the worker', async () => {
    const inner = fakeInner();
    const got: WorkerToMaster[] = [];
    const ch = stagedChannel(inner.ch, stager({ putFails: true, connected: true }), 'cloud-1');
    ch.onMessage((m) => void got.push(m));
    ch.send(assign);
    await settle();
    assert.equal(inner.sent.length, 0);
    assert.equal(got.length, 1);
    assert.equal(got[0]?.type, 'failed');
    assert.match((got[0] as { message: string }).message, /^mid on worker cloud-1: staging its inputs on the worker's host failed: upload cut$/);
  });

  test('an input copy cut because the connection is gone reports nothing: the attempt is lost with its worker', async () => {
    const inner = fakeInner();
    const got: WorkerToMaster[] = [];
    const ch = stagedChannel(inner.ch, stager({ putFails: true, connected: false }), 'cloud-1');
    ch.onMessage((m) => void got.push(m));
    ch.send(assign);
    await settle();
    assert.deepEqual(got, []);
    assert.equal(inner.sent.length, 0);
  });

  test('a success whose outputs cannot be copied back: failed while connected, nothing once the connection is gone', async () => {
    for (const connected of [true, false]) {
      const inner = fakeInner();
      const got: WorkerToMaster[] = [];
      const ch = stagedChannel(inner.ch, stager({ getFails: true, connected }), 'cloud-1');
      ch.onMessage((m) => void got.push(m));
      ch.send(assign);
      await settle();
      assert.equal(inner.sent.length, 1, 'the assignment reached the worker');
      inner.answer({ type: 'succeeded', id: 'a1', outputs: {}, exitStatus: 0, durationMs: 1 } as unknown as WorkerToMaster);
      await settle();
      await settle();
      if (connected) assert.deepEqual(got.map((m) => m.type), ['failed']);
      else assert.deepEqual(got, [], 'a cut copy-back is never delivered as a success');
    }
  });

  test('a failure reported by the worker is delivered even when its logs cannot be copied back after the connection went', async () => {
    const inner = fakeInner();
    const got: WorkerToMaster[] = [];
    const ch = stagedChannel(inner.ch, stager({ getFails: true, connected: false }), 'cloud-1');
    ch.onMessage((m) => void got.push(m));
    ch.send(assign);
    await settle();
    inner.answer({ type: 'failed', id: 'a1', exitStatus: 1, signal: null, message: 'exit 1', stderrTail: '', durationMs: 1 });
    await settle();
    await settle();
    assert.deepEqual(got.map((m) => m.type), ['failed']);
  });
});
