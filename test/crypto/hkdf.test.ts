/**
 * The age format's HKDF-SHA-256 (32-byte output) as two HMACs
 * (src/crypto/format.ts): the same bytes as RFC 5869 and as node:crypto's
 * hkdfSync, for empty and long salts, keys and labels.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { hkdfSync, randomBytes } from 'node:crypto';
import { hkdf } from '../../src/crypto/format.js';

describe('HKDF-SHA-256 of the age format', () => {
  test('RFC 5869 test case 3 (empty salt and info) gives the first 32 bytes of its OKM', () => {
    const okm = '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8';
    assert.equal(hkdf(Buffer.alloc(22, 0x0b), new Uint8Array(0), '').toString('hex'), okm.slice(0, 64));
  });

  test('every output equals hkdfSync\'s, with empty and long salts, keys and labels', () => {
    for (let i = 0; i < 200; i++) {
      const ikm = randomBytes(i % 5 === 0 ? 0 : 1 + (i * 7) % 100);
      const salt = randomBytes(i % 3 === 0 ? 0 : (i * 13) % 200);
      const info = ['header', 'payload', 'age-encryption.org/v1/X25519', '', 'é'.repeat(i % 40)][i % 5] as string;
      assert.deepEqual(hkdf(ikm, salt, info), Buffer.from(hkdfSync('sha256', ikm, salt, info, 32)), `case ${i}`);
    }
  });
});
