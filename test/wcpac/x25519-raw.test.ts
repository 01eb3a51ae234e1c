/**
 * docs/protocol.md §7: X25519 keys travel as 32 raw bytes. The WCPAC
 * primitives and the age X25519 recipient take them in and out through
 * OpenSSL's raw-key calls (JWK, RFC 8037) rather than its DER codec: the
 * bytes must be exactly the key of RFC 8410's SubjectPublicKeyInfo, and keys
 * wrapped this way unwrap as before.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { decrypt, encrypt, X25519Identity } from '../../src/crypto/index.js';
import { LABEL_BUNDLE_KEY, ProvisionError, unwrapKey, wrapKey, x25519Raw } from '../../src/protocol/wcpac-crypto.js';
import { collect } from '../helpers/bytes.js';

/** RFC 8410 §4: SubjectPublicKeyInfo of an X25519 key is this 12-byte prefix, then the 32 raw bytes. */
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

describe('§7 raw X25519 keys', () => {
  test('x25519Raw of a public or a private key is the raw key inside its DER SubjectPublicKeyInfo', () => {
    for (let i = 0; i < 20; i++) {
      const { publicKey, privateKey } = generateKeyPairSync('x25519');
      const der = publicKey.export({ type: 'spki', format: 'der' });
      assert.ok(der.subarray(0, 12).equals(SPKI_PREFIX));
      assert.ok(x25519Raw(publicKey).equals(der.subarray(12)));
      assert.ok(x25519Raw(privateKey).equals(der.subarray(12)));
    }
  });

  test('a key wrapped to a raw recipient unwraps with its private key, and only with it', () => {
    const { privateKey } = generateKeyPairSync('x25519');
    const other = generateKeyPairSync('x25519').privateKey;
    const secret = randomBytes(16);
    const wrapped = wrapKey(x25519Raw(privateKey), LABEL_BUNDLE_KEY, secret);
    assert.ok(unwrapKey(privateKey, LABEL_BUNDLE_KEY, wrapped).equals(secret));
    assert.throws(() => unwrapKey(other, LABEL_BUNDLE_KEY, wrapped), (e: unknown) => e instanceof ProvisionError && e.reason === 'bad-ciphertext');
  });

  test('wrapping to a recipient that is not 32 bytes is refused as a bad public key', () => {
    for (const n of [0, 31, 33, 44]) {
      assert.throws(() => wrapKey(randomBytes(n), LABEL_BUNDLE_KEY, randomBytes(16)), (e: unknown) => e instanceof ProvisionError && e.reason === 'bad-public-key', `${n} bytes`);
    }
  });

  test('an age file encrypted to an X25519 recipient decrypts with its identity, and its identity round-trips', async () => {
    const id = X25519Identity.generate();
    const again = X25519Identity.tryParse(id.toString());
    assert.ok(again);
    assert.equal(again.recipient().toString(), id.recipient().toString());
    const plain = randomBytes(1000);
    const sealed = await collect(encrypt([again.recipient()], plain));
    assert.ok((await collect(decrypt([id], sealed))).equals(plain));
  });
});
