/**
 * docs/protocol.md §8, §12.1: a worker declared dead while the master is
 * still hashing the inputs of its step gets no key — the checks are made
 * again just before the wrapped keys go out. (Found by the sim disconnect
 * fault loop, test/faults/sim-disconnect.test.ts: a connection closed right
 * after an assignment.)
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encrypt } from '../../src/crypto/index.js';
import { assignStep, recordCiphertext, releaseFileKeys } from '../../src/master/broker/release.js';
import { BrokerRefusal } from '../../src/master/broker/types.js';
import { connectRaw, expectSlot, forgeAttest, setup } from './harness.js';
import { collect } from '../helpers/bytes.js';

describe('§8 file-key release and revocation', () => {
  test('§8 a worker revoked while its step\'s inputs are being hashed gets no key, and the refusal is journalled', async () => {
    const h = await setup();
    try {
      expectSlot(h, 'local-1');
      const c = await connectRaw(h);
      c.send(forgeAttest(h, c, 'local-1').msg);
      await c.closed();
      const worker = h.broker.workers.get('local-1');
      assert.ok(worker);
      const file = path.join(h.dir, 'big.age');
      const bytes = await collect(encrypt([h.master.brokerIdentity.recipient()], randomBytes(4 << 20)));
      await writeFile(file, bytes);
      recordCiphertext(h.broker, 'input', 'input:big', createHash('sha256').update(bytes).digest('hex'));
      assignStep(h.broker, 'local-1', 's[0]#1');
      const pending = releaseFileKeys(h.broker, 'local-1', { step: 's[0]#1', tee: 'none', inputs: [{ id: 'input:big', path: file }], epoch: worker.epoch });
      setImmediate(() => h.broker.revoke('local-1', 'its connection closed'));
      await assert.rejects(pending, (e: unknown) => e instanceof BrokerRefusal && e.reason === 'worker-dead');
      const releases = h.decisions.filter((d) => d.type === 'key-release');
      assert.deepEqual(releases.map((d) => (d.type === 'key-release' ? [d.decision, d.reason] : [])), [['refused', 'worker-dead']]);
    } finally {
      await h.close();
    }
  });
});
