/**
 * The executor port keeps a worker's first messages until the master takes
 * its channel (a connector may report a launch only after the worker has
 * connected, e.g. Slurm's poll), at most 16 of them. The channel handed to
 * a master already waiting for the worker is the same held channel: before,
 * a waiter got the raw channel, nothing ever listened on the held one, and
 * the 17th message a busy worker sent closed its connection mid-run.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type tls from 'node:tls';
import { ExecServer } from '../../src/master/broker/exec-server.js';
import type { WorkerToMaster } from '../../src/protocol/execution.js';
import { execConnect, forgedWorker } from './exec-port.js';
import { setup } from './harness.js';

const ready = (pid: number) => `{"type":"ready","pid":${pid},"host":"h","data":{"host":"127.0.0.1","port":1}}\n`;

function collect(n: number, onMessage: (h: (m: WorkerToMaster) => void) => void): Promise<WorkerToMaster[]> {
  const seen: WorkerToMaster[] = [];
  return new Promise((resolve) =>
    onMessage((m) => {
      seen.push(m);
      if (seen.length === n) resolve(seen);
    }),
  );
}

const pids = (ms: readonly WorkerToMaster[]) => ms.map((m) => (m.type === 'ready' ? m.pid : -1));

describe('the executor port holds a worker\'s early messages, and only those', () => {
  test('a master waiting for the worker before it connects gets all of 40 messages, and the connection stays open', async () => {
    const h = await setup();
    const es = await ExecServer.start(h.broker);
    let socket: tls.TLSSocket | undefined;
    try {
      const { cred } = await forgedWorker(h, 'local-1');
      const taken = es.channel('local-1'); // the master waits first, as the engine's worker pool does for local workers
      const c = await execConnect(h, es, cred);
      assert.ok(c.accepted);
      socket = c.socket;
      const got = collect(40, (handler) => void taken.then((ch) => ch.onMessage(handler)));
      const cut = new Promise<'closed'>((r) => c.socket.on('close', () => r('closed')));
      for (let i = 1; i <= 40; i++) socket.write(ready(i));
      const first = await Promise.race([got, cut]);
      assert.notEqual(first, 'closed', 'the master closed a busy worker\'s connection');
      assert.deepEqual(pids(first as WorkerToMaster[]), Array.from({ length: 40 }, (_, i) => i + 1));
      assert.ok(!socket.destroyed, 'the connection is still open');
    } finally {
      socket?.destroy();
      await es.close();
      await h.close();
    }
  });

  test('messages sent before the master takes the channel reach it in order, then the rest', async () => {
    const h = await setup();
    const es = await ExecServer.start(h.broker);
    let socket: tls.TLSSocket | undefined;
    try {
      const { cred } = await forgedWorker(h, 'local-1');
      const c = await execConnect(h, es, cred);
      socket = c.socket;
      for (let i = 1; i <= 5; i++) socket.write(ready(i));
      // The held messages are in once the channel exists and the bytes have arrived; take it after a round trip.
      await new Promise((r) => setImmediate(r));
      const ch = await es.channel('local-1');
      const got = collect(25, (handler) => ch.onMessage(handler));
      for (let i = 6; i <= 25; i++) socket.write(ready(i));
      assert.deepEqual(pids(await got), Array.from({ length: 25 }, (_, i) => i + 1));
    } finally {
      socket?.destroy();
      await es.close();
      await h.close();
    }
  });

  test('a worker that sends more than 16 messages while nobody has taken its channel is closed', async () => {
    const h = await setup();
    const es = await ExecServer.start(h.broker);
    try {
      const { cred } = await forgedWorker(h, 'local-1');
      const c = await execConnect(h, es, cred);
      const closed = new Promise<void>((r) => (c.socket.destroyed ? r() : c.socket.on('close', () => r())));
      for (let i = 1; i <= 17; i++) c.socket.write(ready(i));
      await closed;
    } finally {
      await es.close();
      await h.close();
    }
  });
});
