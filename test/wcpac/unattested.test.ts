/**
 * docs/protocol.md §6a: platform `none` with encryption. The provisioner
 * runs without a TEE and sends no evidence; the broker admits it only on a
 * `local` deployment or under a policy with `allowUnattested: true`, says
 * "no TEE" in every decision, and releases keys only for `tee: none` steps.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { definePolicy } from '../../src/attestation/policy.js';
import { encrypt } from '../../src/crypto/index.js';
import { assignStep, recordCiphertext, releaseFileKeys } from '../../src/master/broker/release.js';
import { BrokerRefusal, type AttestedWorker, type BrokerDecision } from '../../src/master/broker/types.js';
import { x25519Raw } from '../../src/protocol/wcpac-crypto.js';
import { connectRaw, expectSlot, setup, type Harness } from './harness.js';
import { collect } from '../helpers/bytes.js';

/** A platform-none worker's attest message: fresh keys, no evidence (or `evidence` if given). */
async function attestNone(h: Harness, slot: string, connector: string, evidence = Buffer.alloc(0)): Promise<{ types: string[]; key: KeyObject }> {
  expectSlot(h, slot, 'none', connector);
  const c = await connectRaw(h);
  const kr = generateKeyPairSync('x25519');
  const id = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  c.send({ type: 'attest', slot, challenge: c.hello.challenge, evidence: evidence.toString('base64'), x25519: x25519Raw(kr.publicKey).toString('base64'), identity: id.publicKey.export({ type: 'spki', format: 'der' }).toString('base64') });
  return { types: (await c.closed()).messages.map((m) => m.type), key: kr.privateKey };
}

const attestations = (h: Harness) => h.decisions.filter((d): d is Extract<BrokerDecision, { type: 'attestation' }> => d.type === 'attestation');

describe('§6a platform none: keys without evidence', () => {
  test('§6a a local platform-none worker is provisioned without evidence; the journal says no TEE and why it was allowed', async () => {
    const h = await setup();
    try {
      const r = await attestNone(h, 'local-1', 'local');
      assert.deepEqual(r.types, ['hello', 'provisioned']);
      const w = h.broker.workers.get('local-1') as AttestedWorker;
      assert.equal(w.claims, null);
      const [d] = attestations(h);
      assert.equal(d?.decision, 'accepted');
      assert.equal(d?.claims, undefined, 'no claims: nothing was attested');
      assert.match(d?.unattested ?? '', /platform none on local deployment local .*without evidence; no TEE/);
      assert.match(d?.warning ?? '', /^no TEE/);
    } finally {
      await h.close();
    }
  });

  test('§6a a platform-none worker on a non-local deployment is refused without allowUnattested, and gets no key', async () => {
    const h = await setup();
    try {
      const r = await attestNone(h, 'remote-1', 'ssh');
      assert.deepEqual(r.types, ['hello', 'refused']);
      assert.equal(h.broker.workers.has('remote-1'), false);
      const [d] = attestations(h);
      assert.equal(d?.decision, 'refused');
      assert.equal(d?.reason, 'unattested-not-allowed');
    } finally {
      await h.close();
    }
  });

  test('§6a a policy with allowUnattested: true admits a non-local platform-none worker, and the decision names the policy', async () => {
    const h = await setup({ policy: (m) => definePolicy({ allowSimulated: true, allowUnattested: true, sim: { measurements: [m] } }) });
    try {
      const r = await attestNone(h, 'remote-1', 'ssh');
      assert.deepEqual(r.types, ['hello', 'provisioned']);
      assert.match(attestations(h)[0]?.unattested ?? '', /allowUnattested: true/);
    } finally {
      await h.close();
    }
  });

  test('§6a a platform-none slot that sends evidence is refused (none produces none)', async () => {
    const h = await setup();
    try {
      const r = await attestNone(h, 'local-1', 'local', Buffer.from('not evidence'));
      assert.deepEqual(r.types, ['hello', 'refused']);
      assert.equal(attestations(h)[0]?.reason, 'platform-mismatch');
    } finally {
      await h.close();
    }
  });

  test('§6a file keys go to a platform-none worker only for tee: none steps, and each release is journalled as unattested', async () => {
    const h = await setup();
    try {
      await attestNone(h, 'local-1', 'local');
      const file = path.join(h.dir, 'a.age');
      const bytes = await collect(encrypt([h.master.brokerIdentity.recipient()], Buffer.from('data')));
      await writeFile(file, bytes);
      recordCiphertext(h.broker, 'input', 'input:a', createHash('sha256').update(bytes).digest('hex'));
      const w = h.broker.workers.get('local-1') as AttestedWorker;
      assignStep(h.broker, 'local-1', 's[0]#1');
      const keys = await releaseFileKeys(h.broker, 'local-1', { step: 's[0]#1', tee: 'none', inputs: [{ id: 'input:a', path: file }], epoch: w.epoch });
      assert.equal(keys.keys.length, 1);
      const rel = h.decisions.find((d) => d.type === 'key-release' && d.decision === 'released');
      assert.ok(rel?.type === 'key-release' && /without evidence/.test(rel.unattested ?? ''), 'the release says why it went without evidence');
      assignStep(h.broker, 'local-1', 't[0]#1');
      for (const tee of ['any', 'sgx'] as const) {
        await assert.rejects(
          releaseFileKeys(h.broker, 'local-1', { step: 't[0]#1', tee, inputs: [{ id: 'input:a', path: file }], epoch: w.epoch }),
          (e: unknown) => e instanceof BrokerRefusal && e.reason === 'tee-unsatisfied' && /no TEE/.test(e.message),
        );
      }
    } finally {
      await h.close();
    }
  });
});
