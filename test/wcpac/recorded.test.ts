/**
 * docs/protocol.md §8.1: the master reads each ciphertext once. The header it
 * keeps is parsed from the bytes it hashed, so a release unwraps the key of
 * the recorded ciphertext even if the file on disk changed afterwards (the
 * consumer's hash check refuses that file); an id re-recorded without a
 * header is hashed again at release.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decrypt, decryptWithFileKey, encrypt } from '../../src/crypto/index.js';
import { readFileHeader } from '../../src/crypto/filekey.js';
import { bufferSource } from '../../src/crypto/io.js';
import { hashWithHeader } from '../../src/master/broker/recorded.js';
import { assignStep, recordCiphertext, releaseFileKeys } from '../../src/master/broker/release.js';
import { BrokerRefusal, type AttestedWorker } from '../../src/master/broker/types.js';
import { sealPlainInput } from '../../src/master/admit-file.js';
import { openReleased } from '../helpers/released-keys.js';
import { connectRaw, expectSlot, forgeAttest, setup } from './harness.js';
import { collect } from '../helpers/bytes.js';

describe('§8.1 ciphertexts read once', () => {
  test('§8.1 hashWithHeader gives the SHA-256 of the whole file and the header parsed from its first bytes', async () => {
    const h = await setup();
    try {
      const bytes = await collect(encrypt([h.master.brokerIdentity.recipient()], Buffer.alloc(9 << 20, 'x')));
      const file = path.join(h.dir, 'big.age');
      await writeFile(file, bytes);
      const r = await hashWithHeader(file);
      assert.equal(r.sha256, createHash('sha256').update(bytes).digest('hex'));
      assert.deepEqual(r.header, (await readFileHeader(bufferSource(bytes))).header);
      const plain = path.join(h.dir, 'plain.txt');
      await writeFile(plain, 'admitted once\n');
      const sealed = await sealPlainInput(plain, path.join(h.dir, 'plain.txt.age'), [h.master.brokerIdentity.recipient()]);
      const written = await readFile(path.join(h.dir, 'plain.txt.age'));
      assert.equal(sealed.sha256, createHash('sha256').update(written).digest('hex'), 'hashed as written');
      assert.deepEqual(sealed.header, (await readFileHeader(bufferSource(written))).header);
    } finally {
      await h.close();
    }
  });

  test('§8.1 hashWithHeader reads files on both sides of its 1 MiB in-memory limit alike, and an empty file has no header', async () => {
    const h = await setup();
    try {
      for (const size of [0, 1, (1 << 20) - 200, 1 << 20, (1 << 20) + 1, 3 << 20]) {
        const bytes = size === 0 ? Buffer.alloc(0) : await collect(encrypt([h.master.brokerIdentity.recipient()], Buffer.alloc(Math.max(0, size - 200), 'y')));
        const file = path.join(h.dir, `f${size}.age`);
        await writeFile(file, bytes);
        const r = await hashWithHeader(file);
        assert.equal(r.sha256, createHash('sha256').update(bytes).digest('hex'), `size ${size}`);
        assert.deepEqual(r.header, size === 0 ? null : (await readFileHeader(bufferSource(bytes))).header, `size ${size}`);
      }
    } finally {
      await h.close();
    }
  });

  test('§8.1 a plaintext input is admitted alike on both sides of the 1 MiB in-memory limit: hashed as written, header kept, keyed digest of the plaintext, decrypts to it', async () => {
    const h = await setup();
    try {
      const key = Buffer.alloc(32, 3);
      for (const size of [0, 1, 1 << 20, (1 << 20) + 1]) {
        const plain = path.join(h.dir, `in${size}.txt`);
        const data = Buffer.alloc(size, 'z');
        await writeFile(plain, data);
        const dest = path.join(h.dir, `in${size}.txt.age`);
        const sealed = await sealPlainInput(plain, dest, [h.master.brokerIdentity.recipient()], key);
        const written = await readFile(dest);
        assert.equal(sealed.sha256, createHash('sha256').update(written).digest('hex'), `size ${size}: hashed as written`);
        assert.deepEqual(sealed.header, (await readFileHeader(bufferSource(written))).header, `size ${size}`);
        assert.equal(sealed.keyed, createHmac('sha256', key).update(data).digest('hex'), `size ${size}`);
        assert.equal(((await stat(dest)).mode & 0o777).toString(8), '600');
        assert.ok(Buffer.from(await collect(decrypt([h.master.brokerIdentity], written))).equals(data), `size ${size}: decrypts to the plaintext`);
      }
    } finally {
      await h.close();
    }
  });

  test('§8.1 a release uses the recorded header: a file replaced on disk afterwards does not change which key goes out; without a header the file is hashed again and refused', async () => {
    const h = await setup();
    try {
      expectSlot(h, 'local-1');
      const c = await connectRaw(h);
      const { msg, keyReceivingKey } = forgeAttest(h, c, 'local-1');
      c.send(msg);
      await c.closed();
      const w = h.broker.workers.get('local-1') as AttestedWorker;
      const file = path.join(h.dir, 'mid.age');
      const original = await collect(encrypt([h.runIdentity.recipient()], Buffer.from('the recorded ciphertext')));
      await writeFile(file, original);
      const r = await hashWithHeader(file);
      recordCiphertext(h.broker, 'output', 'mid', r.sha256, r.header);
      // The file is swapped for another ciphertext (its own header and key) after it was recorded.
      await writeFile(file, await collect(encrypt([h.runIdentity.recipient()], Buffer.from('a substitute'))));
      assignStep(h.broker, 'local-1', 's#1');
      const release = await releaseFileKeys(h.broker, 'local-1', { step: 's#1', tee: 'none', inputs: [{ id: 'mid', path: file }], epoch: w.epoch });
      assert.equal(release.keys[0]?.sha256, r.sha256, 'the consumer is told the recorded hash, so it refuses the swapped file');
      const key = openReleased(keyReceivingKey, release, 's#1');
      assert.equal((await collect(decryptWithFileKey(key, original))).toString(), 'the recorded ciphertext', 'the key released is the recorded ciphertext\'s');
      recordCiphertext(h.broker, 'output', 'mid', r.sha256); // e.g. restored from a journal: no header
      await assert.rejects(
        releaseFileKeys(h.broker, 'local-1', { step: 's#1', tee: 'none', inputs: [{ id: 'mid', path: file }], epoch: w.epoch }),
        (e: unknown) => e instanceof BrokerRefusal && e.reason === 'hash-mismatch',
      );
    } finally {
      await h.close();
    }
  });
});
