/**
 * docs/protocol.md §12.1: a worker declared dead that comes back — it was
 * only partitioned or hung, and still holds its run-CA certificate, its
 * identity key and its key-receiving key — is refused at the executor port,
 * gets no file key for the step it had, and cannot attest its slot again.
 * (The engine revokes through `WorkerHandle.revoke` → `KeyBroker.revoke`;
 * test/faults/sim-faults.test.ts shows it happening in encrypted runs.)
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encrypt } from '../../src/crypto/index.js';
import { ExecServer } from '../../src/master/broker/exec-server.js';
import { assignStep, recordCiphertext, releaseFileKeys } from '../../src/master/broker/release.js';
import { BrokerRefusal } from '../../src/master/broker/types.js';
import { execConnect, forgedWorker } from './exec-port.js';
import { connectRaw, expectSlot, forgeAttest, setup } from './harness.js';
import { collect } from '../helpers/bytes.js';

describe('§12.1 revocation of a dead worker', () => {
  test('§12.1 a worker declared dead that comes back is refused at the executor port, gets no key, cannot re-attest its slot, and its epoch is closed', async () => {
    const h = await setup();
    const es = await ExecServer.start(h.broker);
    try {
      const { worker, cred, replies, ticket } = await forgedWorker(h, 'local-1');
      assert.deepEqual(replies, ['hello', 'provisioned']);

      // Alive: it connects and gets the key of its step's input.
      const first = await execConnect(h, es, cred);
      assert.equal(first.accepted, true);
      const file = path.join(h.dir, 'in.age');
      const bytes = await collect(encrypt([h.master.brokerIdentity.recipient()], Buffer.from('input of s')));
      await writeFile(file, bytes);
      recordCiphertext(h.broker, 'input', 'input:a', createHash('sha256').update(bytes).digest('hex'));
      assignStep(h.broker, 'local-1', 's[0]#1');
      const req = { step: 's[0]#1', tee: 'none' as const, inputs: [{ id: 'input:a', path: file }], epoch: worker.epoch };
      assert.equal((await releaseFileKeys(h.broker, 'local-1', req)).keys.length, 1);

      // Declared dead (what WorkerPool.lose does through WorkerHandle.revoke), its connection lost.
      const epochBefore = h.broker.epoch;
      h.broker.revoke('local-1', 'declared dead: no heartbeat for 4.2 s (timeout 4 s)');
      first.socket.destroy();
      assert.equal(h.broker.epoch, epochBefore + 1, 'the epoch advanced');
      assert.equal(h.broker.assignments.has('local-1'), false, 'its assignments are dropped');
      const revoked = h.decisions.find((d) => d.type === 'worker-revoked');
      assert.deepEqual(revoked && revoked.type === 'worker-revoked' ? [revoked.worker, revoked.epoch] : null, ['local-1', worker.epoch]);

      // It comes back with everything it had.
      const again = await execConnect(h, es, cred);
      assert.equal(again.accepted, false, 'the executor port refuses it');
      // A revoked certificate is no valid run certificate: a stranger's refusal, counted (§9, "Framing and limits").
      assert.equal(h.broker.strangerRefusals.byReason.get('bad-client-cert'), 1);
      await assert.rejects(releaseFileKeys(h.broker, 'local-1', req), (e: unknown) => e instanceof BrokerRefusal && e.reason === 'worker-dead');
      assignStep(h.broker, 'local-1', 's[0]#2');
      await assert.rejects(releaseFileKeys(h.broker, 'local-1', { ...req, step: 's[0]#2' }), (e: unknown) => e instanceof BrokerRefusal && e.reason === 'worker-dead');
      // Its launch ticket is spent: the master does not answer it (§3a).
      const ticketsRefused = h.broker.strangerRefusals.byReason.get('ticket-refused') ?? 0;
      h.tickets.set('local-1', ticket);
      await assert.rejects(connectRaw(h, 'local-1'), /without a hello/);
      assert.equal(h.broker.strangerRefusals.byReason.get('ticket-refused'), ticketsRefused + 1);
      // Even with a fresh ticket (the slot launched again), the slot is taken.
      expectSlot(h, 'local-1');
      const c2 = await connectRaw(h, 'local-1');
      c2.send(forgeAttest(h, c2, 'local-1').msg);
      const reply = (await c2.closed()).messages;
      assert.deepEqual(reply.map((m) => m.type), ['hello', 'refused']);
      assert.equal(reply[1]?.['reason'], 'slot-taken');
      const releases = h.decisions.filter((d) => d.type === 'key-release' && d.decision === 'released');
      assert.equal(releases.length, 1, 'exactly one key release, before it was declared dead');
    } finally {
      await es.close();
      await h.close();
    }
  });
});
