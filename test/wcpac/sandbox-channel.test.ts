/**
 * docs/protocol.md §7.2: the master sends the run's sealed expression
 * sandbox to a worker that asks, once per worker: a repeated `sandbox-get`
 * (a compromised worker asking again and again) is dropped; a run without a
 * sandbox answers with an empty one; the request never reaches the engine.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel } from '../../src/protocol/channel.js';
import type { MasterToWorker, WorkerToMaster } from '../../src/protocol/execution.js';
import type { KeyBroker } from '../../src/master/broker/broker.js';
import { sealedChannel } from '../../src/master/sealed-channel.js';

function harness(sandbox?: () => Promise<Buffer>) {
  const sent: { type: string; sealed?: string }[] = [];
  let receive!: (m: WorkerToMaster) => void;
  const inner: Channel<MasterToWorker, WorkerToMaster> = { send: (m) => void sent.push(m as never), onMessage: (h) => (receive = h), onClose: () => undefined, close: () => undefined };
  const broker = { workers: new Map([['local-1', { epoch: 1 }]]) } as unknown as KeyBroker;
  const channel = sealedChannel(inner, { broker, slot: 'local-1', recipients: [], admit: (p) => Promise.resolve(p), teeOf: () => 'none', ...(sandbox ? { sandbox } : {}) });
  const delivered: WorkerToMaster[] = [];
  channel.onMessage((m) => delivered.push(m));
  return { sent, delivered, ask: () => receive({ type: 'sandbox-get' } as unknown as WorkerToMaster) };
}

describe('§7.2 the sealed expression sandbox on the execution channel', () => {
  test('a worker that asks gets the sealed sandbox once; asking again gets nothing more, and the engine never sees the request', async () => {
    let made = 0;
    const h = harness(() => (made++, Promise.resolve(Buffer.from('sealed sandbox bytes'))));
    h.ask();
    h.ask();
    h.ask();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(h.sent, [{ type: 'sandbox', sealed: Buffer.from('sealed sandbox bytes').toString('base64') }]);
    assert.deepEqual(h.delivered, []);
    assert.equal(made, 1, 'sealed once');
  });

  test('a sandbox the master cannot make (sealflow rebuilt during the run) is answered empty, not left waiting', async () => {
    const h = harness(() => Promise.reject(new Error('the expression sandbox of this installation is not the one the running executor bundle names')));
    const write = process.stderr.write;
    process.stderr.write = () => true;
    try {
      h.ask();
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    } finally {
      process.stderr.write = write;
    }
    assert.deepEqual(h.sent, [{ type: 'sandbox', sealed: '' }]);
  });

  test('a run without a sandbox answers with an empty one, which the worker refuses with a clear step failure', async () => {
    const h = harness();
    h.ask();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(h.sent, [{ type: 'sandbox', sealed: '' }]);
  });
});
