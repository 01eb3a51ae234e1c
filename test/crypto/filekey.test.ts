/**
 * The file-key API the key broker uses: the master unwraps a file key with
 * its identity; a worker decrypts with only that key, and still detects a
 * modified header or payload.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  decryptWithFileKey,
  encrypt,
  readFileHeader,
  readHeaderOfFile,
  unwrapFileKey,
  CorruptFileError,
  NoIdentityMatchError,
  X25519Identity,
} from '../../src/crypto/index.js';
import { bufferSource } from '../../src/crypto/io.js';
import { age, ageMissing } from '../helpers/age.js';
import { collect, inPieces, pseudoRandomBytes } from '../helpers/bytes.js';

const master = X25519Identity.generate();
const other = X25519Identity.generate();
const plaintext = pseudoRandomBytes(200_000);

describe('file-key API', async () => {
  const ct = await collect(encrypt([other.recipient(), master.recipient()], plaintext));
  const { header } = await readFileHeader(bufferSource(ct));

  test('unwrapFileKey returns the 16-byte file key for a matching identity', () => {
    const key = unwrapFileKey(header, [X25519Identity.generate(), master]);
    assert.equal(key.length, 16);
    assert.deepEqual(unwrapFileKey(header, [other]), key); // every recipient unwraps the same key
  });

  test('unwrapFileKey with no matching identity throws NoIdentityMatchError with the standard message', () => {
    assert.throws(
      () => unwrapFileKey(header, [X25519Identity.generate()]),
      (e: unknown) => e instanceof NoIdentityMatchError && /^no identity matches any recipient of this file/.test(e.message),
    );
  });

  test('an identity returns null, not an exception, for a stanza addressed to another key', () => {
    assert.equal(X25519Identity.generate().unwrapFileKey(header.stanzas), null);
  });

  test('decryptWithFileKey decrypts the whole file with only the file key, also one byte at a time', async () => {
    const key = unwrapFileKey(header, [master]);
    assert.deepEqual(await collect(decryptWithFileKey(key, ct)), plaintext);
    const small = await collect(encrypt([master.recipient()], plaintext.subarray(0, 3000), { armor: true }));
    const { header: h2 } = await readFileHeader(bufferSource(small));
    const k2 = unwrapFileKey(h2, [master]);
    assert.deepEqual(await collect(decryptWithFileKey(k2, inPieces(small, 1))), plaintext.subarray(0, 3000));
  });

  test('decryptWithFileKey rejects a wrong key as a header failure, before any output', async () => {
    await assert.rejects(collect(decryptWithFileKey(Buffer.alloc(16), ct)), (e: unknown) => e instanceof CorruptFileError && e.location === 'header');
  });

  test('decryptWithFileKey detects a modified header (a replaced stanza) and a modified payload', async () => {
    const key = unwrapFileKey(header, [master]);
    const reordered = Buffer.from(ct);
    reordered[30]! ^= 1; // inside the first stanza's arguments
    await assert.rejects(collect(decryptWithFileKey(key, reordered)), (e: unknown) => e instanceof CorruptFileError && e.location === 'header');
    const payload = Buffer.from(ct);
    payload[payload.length - 5]! ^= 0x10;
    await assert.rejects(collect(decryptWithFileKey(key, payload)), (e: unknown) => e instanceof CorruptFileError && typeof e.location === 'object');
  });

  test('readHeaderOfFile reads only the header of an age file on disk, made by age', { skip: ageMissing }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sealflow-filekey-'));
    const file = path.join(dir, 'x.age');
    writeFileSync(file, age(['-r', master.recipient().toString()], plaintext));
    const h = await readHeaderOfFile(file);
    const key = unwrapFileKey(h, [master]);
    assert.deepEqual(await collect(decryptWithFileKey(key, createReadStream(file))), plaintext);
    // The key is this file's only: another file to the same recipient fails its header MAC.
    const another = age(['-r', master.recipient().toString()], plaintext);
    await assert.rejects(collect(decryptWithFileKey(key, another)), (e: unknown) => e instanceof CorruptFileError && e.location === 'header');
  });
});
