import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from '../../src/master/receipt/canonical.js';
import { ReceiptError, signReceipt, verifyReceiptBytes } from '../../src/master/receipt/signature.js';
import { masterSigner, sampleReceipt } from './sample.js';

describe('§14.3 signature', () => {
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
