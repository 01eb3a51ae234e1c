/**
 * docs/protocol.md "Framing and limits", §9: an authenticated but hostile
 * peer (a forged-but-certified worker) on the real executor port. Each
 * message of an inherited or unknown type, wrong shape or wrong field types
 * closes only its own connection, the refusal is journalled with its slot,
 * and the master goes on serving other workers.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type tls from 'node:tls';
import { ExecServer } from '../../src/master/broker/exec-server.js';
import { dispatch, type Handlers } from '../../src/protocol/dispatch.js';
import type { WorkerToMaster } from '../../src/protocol/execution.js';
import { execConnect, forgedWorker } from './exec-port.js';
import { setup, type Harness } from './harness.js';

const HOSTILE: readonly [string, string][] = [
  ['valueOf', '{"type":"valueOf"}'],
  ['hasOwnProperty', '{"type":"hasOwnProperty"}'],
  ['toLocaleString', '{"type":"toLocaleString"}'],
  ['__proto__', '{"type":"__proto__"}'],
  ['constructor', '{"type":"constructor"}'],
  ['toString', '{"type":"toString"}'],
  ['wrong field type', '{"type":"succeeded","id":5,"outputs":{},"exitStatus":0,"durationMs":1}'],
  ['missing field', '{"type":"failed","id":"a[0]#1"}'],
  ['prototype key in outputs', '{"type":"succeeded","id":"a","outputs":{"__proto__":{"x":1}},"exitStatus":0,"durationMs":1}'],
  ['deep nesting', `{"type":"succeeded","id":"a","outputs":{"x":${'['.repeat(5000)}${']'.repeat(5000)}},"exitStatus":0,"durationMs":1}`],
  ['not JSON', '{"type":'],
];

const closedOf = (s: tls.TLSSocket) => new Promise<void>((r) => (s.destroyed ? r() : s.on('close', () => r())));

async function connected(h: Harness, es: ExecServer, slot: string) {
  const { cred } = await forgedWorker(h, slot);
  const c = await execConnect(h, es, cred);
  assert.ok(c.accepted, `${slot} was accepted on the executor port`);
  return c.socket;
}

describe('"Framing and limits" on the execution channel (authenticated peers)', () => {
  test('each hostile message closes only its own connection, is journalled with the worker, and the master serves the next worker', async () => {
    const h = await setup();
    const es = await ExecServer.start(h.broker);
    try {
      // What the engine's worker pool does with the channel (src/engine/workers.ts): before, `valueOf` here crashed the master.
      const seen: unknown[] = [];
      const handlers: Handlers<WorkerToMaster> = { ready: (m) => seen.push(m), heartbeat: (m) => seen.push(m), started: (m) => seen.push(m), succeeded: (m) => seen.push(m), failed: (m) => seen.push(m), cancelled: (m) => seen.push(m) };
      let i = 0;
      for (const [what, line] of HOSTILE) {
        const slot = `local-${++i}`;
        const socket = await connected(h, es, slot);
        (await es.channel(slot)).onMessage((m) => dispatch(handlers, m, (x) => seen.push(x)));
        socket.write(line + '\n');
        await closedOf(socket);
        const refusals = h.decisions.filter((d) => d.type === 'protocol-refusal' && d.worker === slot);
        assert.equal(refusals.length, 1, `${what}: one journalled refusal for ${slot}`);
        const r = refusals[0];
        assert.ok(r?.type === 'protocol-refusal' && r.channel === 'execution', what);
        assert.match(r.message, new RegExp(`^worker ${slot}: `), what);
      }
      assert.deepEqual(seen, [], 'no handler (and no unknown-type path) saw a hostile message');
      // The master is alive and well: a further worker connects and its messages reach the engine.
      const slot = `local-${++i}`;
      const socket = await connected(h, es, slot);
      const channel = await es.channel(slot);
      const ready = new Promise<WorkerToMaster>((resolve) => channel.onMessage(resolve));
      socket.write('{"type":"ready","pid":7,"host":"h","data":{"host":"127.0.0.1","port":1}}\n');
      assert.deepEqual(await ready, { type: 'ready', pid: 7, host: 'h', data: { host: '127.0.0.1', port: 1 } });
      assert.ok(!socket.destroyed);
      socket.destroy();
    } finally {
      await es.close();
      await h.close();
    }
  });
});
