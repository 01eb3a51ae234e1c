import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { brokerDecisions, receiptInputs, scanInputs } from '../../src/master/receipt/collect.js';
import type { RunEvent } from '../../src/engine/events.js';
import { DECISIONS, EVENTS } from './sample.js';
import { locationFree } from '../../src/engine/run-receipt.js';
import { NO_TEE, SIM_NOT_A_TEE } from '../../src/master/receipt/model.js';
import { signReceipt } from '../../src/master/receipt/signature.js';
import { masterSigner, sampleReceipt } from './sample.js';

describe('§14.1 contents', () => {
  test('states "no TEE" for platform none and "simulated, not a TEE" for sim, with the sim claims', () => {
    const r = sampleReceipt(masterSigner().pin);
    const sim = r.workers.find((w) => w.id === 'sim-1');
    const none = r.workers.find((w) => w.id === 'local-1');
    assert.equal(none?.tee, 'none');
    assert.equal(none?.statement, NO_TEE);
    assert.equal(sim?.tee, 'simulated');
    assert.equal(sim?.statement, SIM_NOT_A_TEE);
    assert.deepEqual(sim?.claims, { platform: 'sim', measurement: 'ab'.repeat(64), tcbStatus: 'NotApplicable', debug: false, details: { rootKeyFingerprint: 'cd'.repeat(64) } });
    assert.equal(r.bundle.executorSha256, 'ee'.repeat(64));
    assert.deepEqual(r.attestationRefusals, [{ slot: 'sim-2', reason: 'measurement-not-allowed' }]);
    assert.deepEqual(r.keyReleases.map((k) => [k.worker, k.step, k.decision, k.reason ?? null]), [
      ['sim-1', 'count[0]#1', 'released', null],
      ['sim-1', 'other[0]#1', 'refused', 'not-assigned'],
    ]);
    assert.ok(r.statements.some((s) => s.startsWith('No TEE')) && r.statements.some((s) => s.startsWith('Simulated, not a TEE')));
  });

  test('copies only ids, hashes and claims from broker decisions, never extra fields such as keys', () => {
    const m = masterSigner();
    const text = signReceipt(sampleReceipt(m.pin), m.signingKey, m.publicKey);
    for (const secret of ['AGE-SECRET-KEY', 'wrappedKey', 'fileKey', 'c2VjcmV0LWZpbGUta2V5', 'PRIVATE KEY', '"message"']) assert.ok(!text.includes(secret), `the receipt contains ${secret}`);
  });

  test("writes key-release file ids without the master's directory layout", () => {
    assert.equal(locationFree('/s/.sealflow/runs/r1/steps/copy/0/twice.txt', '/s/.sealflow/runs/r1'), 'run:steps/copy/0/twice.txt');
    assert.equal(locationFree('/tmp/sealflow-attested-r1-x/input-AbC/in.txt.age', '/s/.sealflow/runs/r1'), 'input:in.txt.age');
    assert.equal(locationFree('/home/owner/data/a.txt.age', '/s/.sealflow/runs/r1'), 'a.txt.age');
  });

  test('lists an age input by its ciphertext hash and a plaintext input without any hash of its plaintext', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-inputs-'));
    const age = path.join(dir, 'a.age');
    const unread = path.join(dir, 'b.age');
    const plain = path.join(dir, 'secret.txt');
    const sealed = path.join(dir, 'plain.txt');
    fs.writeFileSync(age, 'age-encryption.org/v1\n-> X25519 recorded\n');
    fs.writeFileSync(unread, 'age-encryption.org/v1\n-> X25519 never read\n');
    fs.writeFileSync(plain, 'canary-plaintext');
    fs.writeFileSync(sealed, 'other plaintext');
    const refs = scanInputs({ a: { class: 'File', path: age }, b: [{ class: 'File', path: unread }], s: { class: 'File', path: plain }, p: { class: 'File', path: sealed }, n: 3 });
    const got = await receiptInputs(refs, [{ type: 'key-release', decision: 'released', worker: 'w', step: 's[0]#1', files: [{ id: age, sha256: 'f'.repeat(64) }, { id: '/tmp/x/input-Q/plain.txt.age', sha256: 'e'.repeat(64) }] }]);
    assert.deepEqual(got.map((i) => [i.name, i.encrypted, i.ciphertextSha256 ?? null]), [
      ['a', true, 'f'.repeat(64)],
      ['b[0]', true, createHash('sha256').update(fs.readFileSync(unread)).digest('hex')],
      ['s', false, null],
      ['p', true, 'e'.repeat(64)],
    ]);
    const plainHash = createHash('sha256').update('canary-plaintext').digest('hex');
    assert.ok(!JSON.stringify(got).includes(plainHash) && !JSON.stringify(got).includes('canary'));
  });

  test('reads the broker decisions the journal holds as wcpac events', () => {
    const journal = [...EVENTS, ...DECISIONS.map((decision, i) => ({ type: 'wcpac', t: i, decision }) as unknown as RunEvent)];
    assert.deepEqual(brokerDecisions('r1', journal, { SEALFLOW_HOME: '/nonexistent' }), DECISIONS);
    assert.deepEqual(brokerDecisions('r1', EVENTS, { SEALFLOW_HOME: '/nonexistent' }), []);
  });
});
