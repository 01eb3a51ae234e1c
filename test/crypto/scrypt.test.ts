/** The scrypt (passphrase) recipient type. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decrypt, encrypt, readFileHeader, ScryptIdentity, ScryptRecipient, X25519Identity, NoIdentityMatchError, CorruptFileError } from '../../src/crypto/index.js';
import { bufferSource } from '../../src/crypto/io.js';
import { encodeHeader } from '../../src/crypto/format.js';
import { collect, pseudoRandomBytes } from '../helpers/bytes.js';

const pt = pseudoRandomBytes(70_000);

describe('scrypt recipient', () => {
  test('round-trips with the right passphrase and writes a single "scrypt salt logN" stanza', async () => {
    const ct = await collect(encrypt([new ScryptRecipient('correct horse', 10)], pt));
    const { header } = await readFileHeader(bufferSource(ct));
    assert.equal(header.stanzas.length, 1);
    assert.equal(header.stanzas[0]!.type, 'scrypt');
    assert.equal(header.stanzas[0]!.args[1], '10');
    assert.deepEqual(await collect(decrypt([new ScryptIdentity('correct horse')], ct)), pt);
  });

  test('a wrong passphrase matches no identity', async () => {
    const ct = await collect(encrypt([new ScryptRecipient('correct horse', 10)], pt));
    await assert.rejects(collect(decrypt([new ScryptIdentity('wrong')], ct)), NoIdentityMatchError);
  });

  test('a work factor above the identity limit is refused', async () => {
    const ct = await collect(encrypt([new ScryptRecipient('pw', 12)], pt));
    await assert.rejects(collect(decrypt([new ScryptIdentity('pw', 11)], ct)), CorruptFileError);
  });

  test('cannot be combined with other recipients, when encrypting or decrypting', async () => {
    const x = X25519Identity.generate();
    await assert.rejects(collect(encrypt([new ScryptRecipient('pw', 10), x.recipient()], pt)), TypeError);
    // A hand-made header with an scrypt stanza next to an X25519 one is corrupt.
    const fileKey = Buffer.alloc(16, 3);
    const stanzas = [...new ScryptRecipient('pw', 10).wrapFileKey(fileKey), ...x.recipient().wrapFileKey(fileKey)];
    assert.throws(() => new ScryptIdentity('pw').unwrapFileKey(stanzas), CorruptFileError);
    assert.ok(encodeHeader(stanzas, fileKey).length > 0);
  });
});
