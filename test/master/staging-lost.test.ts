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
import type { WorkerToMaster } from '../../src/protocol/execution.js';
import { assignMsg, settle, staged } from './staging-fakes.js';

const assign = assignMsg('a1', { label: 'mid', sealedFiles: ['/m/in/x.age'] });

describe('staging: copies cut by a lost connection', () => {
  test('an input copy that fails while the host is connected fails the attempt, naming the step and the worker', async () => {
    const { ch, sent, got } = staged({ putFails: true, connected: () => true });
    ch.send(assign);
    await settle();
    assert.equal(sent.length, 0);
    assert.equal(got.length, 1);
    assert.equal(got[0]?.type, 'failed');
    assert.match((got[0] as { message: string }).message, /^mid on worker cloud-1: staging its inputs on the worker's host failed: upload cut$/);
  });

  test('an input copy cut because the connection is gone reports nothing: the attempt is lost with its worker', async () => {
    const { ch, sent, got } = staged({ putFails: true, connected: () => false });
    ch.send(assign);
    await settle();
    assert.deepEqual(got, []);
    assert.equal(sent.length, 0);
  });

  test('a success whose outputs cannot be copied back: failed while connected, nothing once the connection is gone', async () => {
    for (const connected of [true, false]) {
      const { ch, sent, got, answer } = staged({ getTree: 'fails', connected: () => connected });
      ch.send(assign);
      await settle();
      assert.equal(sent.length, 1, 'the assignment reached the worker');
      answer({ type: 'succeeded', id: 'a1', outputs: {}, exitStatus: 0, durationMs: 1 } as unknown as WorkerToMaster);
      await settle();
      if (connected) assert.deepEqual(got.map((m) => m.type), ['failed']);
      else assert.deepEqual(got, [], 'a cut copy-back is never delivered as a success');
    }
  });

  test('a failure reported by the worker is delivered even when its logs cannot be copied back after the connection went', async () => {
    const { ch, got, answer } = staged({ getTree: 'fails', connected: () => false });
    ch.send(assign);
    await settle();
    answer({ type: 'failed', id: 'a1', exitStatus: 1, signal: null, message: 'exit 1', stderrTail: '', durationMs: 1 });
    await settle();
    assert.deepEqual(got.map((m) => m.type), ['failed']);
  });
});
