/**
 * docs/protocol.md §7–§8: per-step file-key release by the key broker. The
 * keys are wrapped to the attested worker's X25519 key; the journal names
 * file ids and ciphertext hashes, never key bytes.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decryptWithFileKey, encrypt } from '../../src/crypto/index.js';
import { readFileHeader, unwrapFileKey } from '../../src/crypto/filekey.js';
import { bufferSource } from '../../src/crypto/io.js';
import { assignStep, recordCiphertext, releaseFileKeys, teeSatisfied } from '../../src/master/broker/release.js';
import { BrokerRefusal, type AttestedWorker } from '../../src/master/broker/types.js';
import { openReleased } from '../helpers/released-keys.js';
import { connectRaw, expectSlot, forgeAttest, setup, type Harness } from './harness.js';
import { collect } from '../helpers/bytes.js';

const CANARY = 'CANARY-7f3a9c-release-test';

/** Attests `slot` over the wire (as a worker would) and returns its key-receiving private key. */
async function attest(h: Harness, slot: string): Promise<KeyObject> {
  expectSlot(h, slot);
  const c = await connectRaw(h);
  const { msg, keyReceivingKey } = forgeAttest(h, c, slot);
  c.send(msg);
  assert.deepEqual((await c.closed()).messages.map((m) => m.type), ['hello', 'provisioned']);
  return keyReceivingKey;
}

/** An input encrypted by the owner to the broker recipient; its hash recorded. */
async function input(h: Harness, name: string, text: string, record = true): Promise<{ id: string; path: string; sha256: string }> {
  const file = path.join(h.dir, `${name}.age`);
  const bytes = await collect(encrypt([h.master.brokerIdentity.recipient()], Buffer.from(text)));
  await writeFile(file, bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (record) recordCiphertext(h.broker, 'input', `input:${name}`, sha256);
  return { id: `input:${name}`, path: file, sha256 };
}

function refusals(h: Harness): string[] {
  return h.decisions.flatMap((d) => (d.type === 'key-release' && d.decision === 'refused' ? [d.reason ?? ''] : []));
}

async function refused(p: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof BrokerRefusal && e.reason === reason);
}

describe('§8 file-key release', () => {
  test('§8 the assigned step gets the file keys of exactly its inputs, wrapped to its X25519 key; the journal has ids and hashes only', async () => {
    const h = await setup();
    try {
      const key = await attest(h, 'local-1');
      const a = await input(h, 'a', `first ${CANARY}`);
      await input(h, 'b', 'not read by this step');
      assignStep(h.broker, 'local-1', 'count[0]#1');
      const w = h.broker.workers.get('local-1') as AttestedWorker;
      const release = await releaseFileKeys(h.broker, 'local-1', { step: 'count[0]#1', tee: 'none', inputs: [a], epoch: w.epoch });
      assert.deepEqual(release.keys.map((k) => k.id), ['input:a']);
      const fileKey = openReleased(key, release, 'count[0]#1');
      const plain = await collect(decryptWithFileKey(fileKey, await readFile(a.path)));
      assert.equal(plain.toString(), `first ${CANARY}`);
      const journal = JSON.stringify(h.decisions);
      assert.ok(!journal.includes(fileKey.toString('hex')) && !journal.includes(fileKey.toString('base64')), 'no key bytes in the journal');
      assert.ok(!journal.includes(CANARY));
      const rel = h.decisions.find((d) => d.type === 'key-release');
      assert.deepEqual(rel && rel.type === 'key-release' ? rel.files : undefined, [{ id: 'input:a', sha256: a.sha256 }]);
      assert.equal(rel && rel.type === 'key-release' ? rel.simulated : undefined, undefined, 'tee: none needs no simulation');
    } finally {
      await h.close();
    }
  });

  test('§8 a worker asking for a file key of a step not assigned to it is refused', async () => {
    const h = await setup();
    try {
      await attest(h, 'local-1');
      await attest(h, 'local-2');
      const a = await input(h, 'a', 'x');
      assignStep(h.broker, 'local-2', 'count[0]#1');
      await refused(releaseFileKeys(h.broker, 'local-1', { step: 'count[0]#1', tee: 'none', inputs: [a], epoch: 1 }), 'not-assigned');
      assert.deepEqual(refusals(h), ['not-assigned']);
    } finally {
      await h.close();
    }
  });

  test('§8 an unattested worker, a dead worker and a stale epoch get no key', async () => {
    const h = await setup();
    try {
      const a = await input(h, 'a', 'x');
      await refused(releaseFileKeys(h.broker, 'local-9', { step: 's#1', tee: 'none', inputs: [a], epoch: 1 }), 'not-attested');
      await attest(h, 'local-1');
      assignStep(h.broker, 'local-1', 's#1');
      await refused(releaseFileKeys(h.broker, 'local-1', { step: 's#1', tee: 'none', inputs: [a], epoch: 0 }), 'stale-epoch');
      const w = h.broker.workers.get('local-1') as AttestedWorker;
      h.broker.revoke('local-1', 'heartbeat lost');
      await refused(releaseFileKeys(h.broker, 'local-1', { step: 's#1', tee: 'none', inputs: [a], epoch: w.epoch }), 'worker-dead');
      assert.match(h.runCa.checkClientCert(w.clientCertDer) ?? '', /revoked/);
      assert.deepEqual(refusals(h), ['not-attested', 'stale-epoch', 'worker-dead']);
    } finally {
      await h.close();
    }
  });

  test('§8 an input whose hash is unrecorded, a tampered ciphertext and a substituted one are refused before any key goes out', async () => {
    const h = await setup();
    try {
      await attest(h, 'local-1');
      assignStep(h.broker, 'local-1', 's#1');
      const req = (f: { id: string; path: string }) => releaseFileKeys(h.broker, 'local-1', { step: 's#1', tee: 'none', inputs: [f], epoch: 1 });
      const unrecorded = await input(h, 'u', 'x', false);
      await refused(req(unrecorded), 'hash-unrecorded');
      const tampered = await input(h, 't', 'tamper me');
      const bytes = await readFile(tampered.path);
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
      await writeFile(tampered.path, bytes);
      await refused(req(tampered), 'hash-mismatch');
      const sub = await input(h, 's', 'original');
      await writeFile(sub.path, await collect(encrypt([h.runIdentity.recipient()], Buffer.from('substituted, freshly encrypted to the run recipient'))));
      await refused(req(sub), 'hash-mismatch');
      assert.deepEqual(refusals(h), ['hash-unrecorded', 'hash-mismatch', 'hash-mismatch']);
      assert.equal(h.decisions.filter((d) => d.type === 'key-release' && d.decision === 'released').length, 0);
    } finally {
      await h.close();
    }
  });

  test('§8 intermediates encrypted to the run recipient are released with the run identity', async () => {
    const h = await setup();
    try {
      const key = await attest(h, 'local-1');
      const bytes = await collect(encrypt([h.runIdentity.recipient()], Buffer.from('intermediate')));
      const file = path.join(h.dir, 'mid.age');
      await writeFile(file, bytes);
      recordCiphertext(h.broker, 'output', 'split[0]/out', createHash('sha256').update(bytes).digest('hex'));
      assignStep(h.broker, 'local-1', 'map[0]#1');
      const release = await releaseFileKeys(h.broker, 'local-1', { step: 'map[0]#1', tee: 'none', inputs: [{ id: 'split[0]/out', path: file }], epoch: 1 });
      const expected = unwrapFileKey((await readFileHeader(bufferSource(bytes))).header, [h.runIdentity]);
      assert.deepEqual(openReleased(key, release, 'map[0]#1'), Buffer.from(expected));
    } finally {
      await h.close();
    }
  });

  test('§8 sim satisfies a tee requirement only where the policy allows simulation, and says so', async () => {
    const h = await setup();
    try {
      await attest(h, 'local-1');
      const w = h.broker.workers.get('local-1') as AttestedWorker;
      assert.deepEqual(teeSatisfied(w, 'sgx', true), { ok: true, simulated: true });
      assert.deepEqual(teeSatisfied(w, 'any', false), { ok: false, simulated: true });
      assert.deepEqual(teeSatisfied(w, 'none', false), { ok: true, simulated: false });
      const sgx = { ...w, claims: { ...w.claims, platform: 'sgx' } } as unknown as AttestedWorker;
      assert.deepEqual(teeSatisfied(sgx, 'sgx', false), { ok: true, simulated: false });
      assert.deepEqual(teeSatisfied(sgx, 'sev-snp', false), { ok: false, simulated: false });
      const a = await input(h, 'a', 'x');
      assignStep(h.broker, 'local-1', 's#1');
      await releaseFileKeys(h.broker, 'local-1', { step: 's#1', tee: 'sgx', inputs: [a], epoch: 1 });
      const rel = h.decisions.find((d) => d.type === 'key-release');
      assert.equal(rel && rel.type === 'key-release' ? rel.simulated : undefined, true);
    } finally {
      await h.close();
    }
  });
});
