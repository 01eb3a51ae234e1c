import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from '../../src/engine/receipt/canonical.js';
import { NO_TEE, SIM_NOT_A_TEE } from '../../src/engine/receipt/model.js';
import { ReceiptError, signReceipt, verifyReceiptBytes } from '../../src/engine/receipt/signature.js';
import { masterSigner, sampleReceipt } from './sample.js';

describe('§11.2 canonical JSON', () => {
  test('serialises the RFC 8785 sample exactly as the RFC does', () => {
    // RFC 8785 §3.2.2 / Appendix: numbers, string escapes and literals, members sorted.
    const input = JSON.parse('{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}') as unknown;
    assert.equal(canonicalJson(input), '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  test('sorts members by UTF-16 code units and refuses values with no single serialisation', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: true, c: null }], '\u00e9': 0, Z: '' }), '{"Z":"","a":[{"c":null,"d":true}],"b":1,"é":0}');
    for (const bad of [Number.NaN, Infinity, { a: undefined }, '\ud800', () => 1, new Date(0)]) assert.throws(() => canonicalJson(bad), TypeError);
  });
});

describe('§11.3 signature', () => {
  test('a valid receipt verifies and reads back unchanged', () => {
    const m = masterSigner();
    const r = sampleReceipt(m.pin);
    const text = signReceipt(r, m.signingKey, m.publicKey);
    assert.deepEqual(verifyReceiptBytes(Buffer.from(text), { pin: m.pin }), r);
    assert.ok(text.endsWith('}\n') && !text.slice(0, -1).includes('\n'), 'one canonical line');
  });

  test('one changed byte anywhere in the file is refused', () => {
    const m = masterSigner();
    const bytes = Buffer.from(signReceipt(sampleReceipt(m.pin), m.signingKey, m.publicKey));
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i] = (changed[i] as number) ^ 0x01;
      assert.throws(() => verifyReceiptBytes(changed, { pin: m.pin }), ReceiptError, `byte ${i} was changed and accepted`);
    }
    const inserted = Buffer.concat([bytes.subarray(0, 1), Buffer.from(' '), bytes.subarray(1)]);
    assert.throws(() => verifyReceiptBytes(inserted, { pin: m.pin }), /not in the canonical form/);
  });

  test('a changed value is refused with "the signature is invalid"', () => {
    const m = masterSigner();
    const text = signReceipt(sampleReceipt(m.pin), m.signingKey, m.publicKey);
    const changed = text.replace('"sha256":"3333', '"sha256":"3334');
    assert.notEqual(changed, text);
    assert.throws(() => verifyReceiptBytes(Buffer.from(changed), { pin: m.pin }), /the signature is invalid/);
  });

  test('a receipt signed by another master key is refused, naming both pins', () => {
    const trusted = masterSigner();
    const other = masterSigner();
    const text = signReceipt(sampleReceipt(other.pin), other.signingKey, other.publicKey);
    assert.throws(() => verifyReceiptBytes(Buffer.from(text), { pin: trusted.pin }), (e: Error) => {
      assert.ok(e instanceof ReceiptError);
      assert.match(e.message, /signed by another master key/);
      assert.ok(e.message.includes(other.pin.slice(0, 16)) && e.message.includes(trusted.pin.slice(0, 16)), e.message);
      return true;
    });
  });

  test('a receipt re-signed by another key but claiming the trusted pin is refused', () => {
    const trusted = masterSigner();
    const other = masterSigner();
    const env = JSON.parse(signReceipt(sampleReceipt(other.pin), other.signingKey, other.publicKey)) as { signature: { publicKey: string } };
    env.signature.publicKey = trusted.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    assert.throws(() => verifyReceiptBytes(Buffer.from(`${canonicalJson(env)}\n`), { pin: trusted.pin }), ReceiptError);
  });
});

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
});
