/**
 * docs/protocol.md §11 and §10: the master's sealed channel keeps the order
 * of step messages (an assignment goes out only once its keys are
 * released), but a heartbeat does not wait behind a release: a step with
 * thousands of inputs takes seconds to release, longer than a worker waits
 * for a word from the master.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel } from '../../src/protocol/channel.js';
import type { AssignMsg, MasterToWorker, WorkerToMaster } from '../../src/protocol/execution.js';
import type { KeyBroker } from '../../src/master/broker/broker.js';
import { sealedChannel } from '../../src/master/sealed-channel.js';

describe('§11 heartbeats on the sealed channel', () => {
  test('a heartbeat goes out while an earlier assignment still waits for its inputs, and the assignment keeps its place before later messages', async () => {
    const sent: MasterToWorker[] = [];
    const inner: Channel<MasterToWorker, WorkerToMaster> = { send: (m) => void sent.push(m), onMessage: () => undefined, onClose: () => undefined, close: () => undefined };
    let admitted!: () => void;
    const admission = new Promise<void>((resolve) => (admitted = resolve));
    const broker = { workers: new Map([['local-1', { epoch: 1 }]]) } as unknown as KeyBroker;
    const channel = sealedChannel(inner, {
      broker,
      slot: 'local-1',
      recipients: [],
      admit: async (p) => {
        await admission;
        throw new Error(`not admitted: ${p}`); // the assignment then fails, after the heartbeat went out
      },
      teeOf: () => 'none',
    });
    const assign: AssignMsg = {
      type: 'assign',
      id: 's[0]#1',
      label: 's[0]',
      exec: { kind: 'command', argv: ['true'] } as unknown as AssignMsg['exec'],
      inputs: { x: { class: 'File', path: '/nonexistent/in.age' } } as unknown as AssignMsg['inputs'],
      outputs: [],
      threads: 1,
      scratchDir: '/nonexistent/scratch',
      outDir: '/nonexistent/out',
      logBase: '/nonexistent/log',
    };
    channel.send(assign);
    channel.send({ type: 'cancel', id: 's[0]#1' });
    channel.send({ type: 'heartbeat', seq: 7, intervalMs: 1000, timeoutMs: 4000 });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(sent.map((m) => m.type), ['heartbeat'], 'the heartbeat is not held behind the pending release');
    admitted();
    for (let i = 0; i < 10 && sent.length < 2; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(sent.map((m) => m.type), ['heartbeat', 'cancel'], 'the cancel waited for the assignment before it');
  });
});
