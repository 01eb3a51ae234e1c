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
import tls from 'node:tls';
import type { Readable } from 'node:stream';
import { encrypt } from '../../src/crypto/index.js';
import { derToPem } from '../../src/crypto/x509-issue.js';
import { ExecServer } from '../../src/engine/broker/exec-server.js';
import { assignStep, recordCiphertext, releaseFileKeys } from '../../src/engine/broker/release.js';
import { BrokerRefusal } from '../../src/engine/broker/types.js';
import { connectRaw, expectSlot, forgeAttest, setup } from './harness.js';

async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

/** Connects with a client certificate; resolves whether the master kept the connection open for 1 s. */
function connect(es: ExecServer, cert: string, key: string): Promise<{ accepted: boolean; socket: tls.TLSSocket }> {
  return new Promise((resolve) => {
    const s = tls.connect({ ...es.address, rejectUnauthorized: false, minVersion: 'TLSv1.3', cert, key });
    s.on('error', () => undefined);
    const t = setTimeout(() => resolve({ accepted: true, socket: s }), 1000);
    s.on('close', () => {
      clearTimeout(t);
      resolve({ accepted: false, socket: s });
    });
  });
}

describe('§12.1 revocation of a dead worker', () => {
  test('§12.1 a worker declared dead that comes back is refused at the executor port, gets no key, cannot re-attest its slot, and its epoch is closed', async () => {
    const h = await setup();
    const es = await ExecServer.start(h.broker);
    try {
      expectSlot(h, 'local-1');
      const c = await connectRaw(h);
      const forged = forgeAttest(h, c, 'local-1');
      c.send(forged.msg);
      assert.deepEqual((await c.closed()).messages.map((m) => m.type), ['hello', 'provisioned']);
      const worker = h.broker.workers.get('local-1');
      assert.ok(worker);
      const cred = { cert: derToPem(worker.clientCertDer), key: forged.identityKey.export({ type: 'pkcs8', format: 'pem' }) as string };

      // Alive: it connects and gets the key of its step's input.
      const first = await connect(es, cred.cert, cred.key);
      assert.equal(first.accepted, true);
      const file = path.join(h.dir, 'in.age');
      const bytes = await collect(encrypt([h.master.brokerIdentity.recipient()], Buffer.from('input of s')));
      await writeFile(file, bytes);
      recordCiphertext(h.broker, 'input:a', createHash('sha256').update(bytes).digest('hex'));
      assignStep(h.broker, 'local-1', 's[0]#1');
      const req = { step: 's[0]#1', tee: 'none' as const, inputs: [{ id: 'input:a', path: file }], epoch: worker.epoch };
      assert.equal((await releaseFileKeys(h.broker, 'local-1', req)).length, 1);

      // Declared dead (what WorkerPool.lose does through WorkerHandle.revoke), its connection lost.
      const epochBefore = h.broker.epoch;
      h.broker.revoke('local-1', 'declared dead: no heartbeat for 4.2 s (timeout 4 s)');
      first.socket.destroy();
      assert.equal(h.broker.epoch, epochBefore + 1, 'the epoch advanced');
      assert.equal(h.broker.assignments.has('local-1'), false, 'its assignments are dropped');
      const revoked = h.decisions.find((d) => d.type === 'worker-revoked');
      assert.deepEqual(revoked && revoked.type === 'worker-revoked' ? [revoked.worker, revoked.epoch] : null, ['local-1', worker.epoch]);

      // It comes back with everything it had.
      const again = await connect(es, cred.cert, cred.key);
      assert.equal(again.accepted, false, 'the executor port refuses it');
      const refusedConn = h.decisions.flatMap((d) => (d.type === 'exec-connection' && d.decision === 'refused' ? [d] : []));
      assert.equal(refusedConn.at(-1)?.reason, 'bad-client-cert');
      await assert.rejects(releaseFileKeys(h.broker, 'local-1', req), (e: unknown) => e instanceof BrokerRefusal && e.reason === 'worker-dead');
      assignStep(h.broker, 'local-1', 's[0]#2');
      await assert.rejects(releaseFileKeys(h.broker, 'local-1', { ...req, step: 's[0]#2' }), (e: unknown) => e instanceof BrokerRefusal && e.reason === 'worker-dead');
      const c2 = await connectRaw(h);
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
