import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { locationFree } from '../../src/engine/receipt/emit.js';
import { NO_TEE, SIM_NOT_A_TEE } from '../../src/engine/receipt/model.js';
import { signReceipt } from '../../src/engine/receipt/signature.js';
import { masterSigner, sampleReceipt } from './sample.js';

describe('§11.1 contents', () => {
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
});
