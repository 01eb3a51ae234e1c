/**
 * docs/protocol.md §10.4, §10.5: files up to SMALL_FILE are sealed and opened
 * in memory with synchronous calls. They must be the same age files as the
 * streaming path's, with every check of §10.5 in the same order: the hash
 * of the whole ciphertext before anything is decrypted, no plaintext left
 * behind on any failure, 0600 files.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CorruptFileError, decrypt, encrypt, readHeaderOfFile, unwrapFileKey } from '../../src/crypto/index.js';
import { X25519Identity } from '../../src/crypto/x25519.js';
import { HashMismatchError, openVerified, sealInPlace, SMALL_FILE } from '../../src/worker/attested/sealed-io.js';
import { collect } from '../helpers/bytes.js';

const K = 64 * 1024;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-small-'));
    try {
      await fn(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('§10.4 small files in memory', () => {
  test('files on both sides of the small-file limit seal to age files that open to the same bytes, with their size and SHA-256 reported', withDir(async (dir) => {
    const id = X25519Identity.generate();
    for (const size of [0, 1, K - 1, K, K + 1, 3 * K, SMALL_FILE - 1, SMALL_FILE, SMALL_FILE + 1, SMALL_FILE + K]) {
      const plain = randomBytes(size);
      const file = path.join(dir, `f${size}`);
      fs.writeFileSync(file, plain);
      const dest = path.join(dir, `f${size}.age`);
      const r = await sealInPlace(file, [id.recipient()], {}, dest);
      const ct = fs.readFileSync(dest);
      assert.equal(r.size, ct.length, `size ${size}`);
      assert.equal(r.sha256, sha(ct), `size ${size}`);
      assert.equal(fs.statSync(dest).mode & 0o777, 0o600);
      assert.ok((await collect(decrypt([id], ct))).equals(plain), `size ${size} decrypts`);
      const key = unwrapFileKey(await readHeaderOfFile(dest), [id]);
      const out = path.join(dir, `f${size}.out`);
      await openVerified(dest, key, out, r.sha256);
      assert.ok(fs.readFileSync(out).equals(plain), `size ${size} opens`);
      assert.equal(fs.statSync(out).mode & 0o777, 0o600);
    }
    assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.sealing')).length, 0, 'no temporary file is left');
  }));

  test('a small ciphertext that is not the recorded one is refused by its hash before its key is asked for, and nothing is written', withDir(async (dir) => {
    const id = X25519Identity.generate();
    const file = path.join(dir, 'in');
    fs.writeFileSync(file, 'hello\n');
    const { sha256 } = await sealInPlace(file, [id.recipient()]);
    const ct = fs.readFileSync(file);
    ct[ct.length - 1] = (ct[ct.length - 1] as number) ^ 1;
    fs.writeFileSync(file, ct);
    const dest = path.join(dir, 'out');
    let asked = false;
    const key = (): Uint8Array => {
      asked = true;
      throw new Error('no key');
    };
    await assert.rejects(openVerified(file, key, dest, sha256), (e: unknown) => e instanceof HashMismatchError && /not the one the master recorded/.test(e.message));
    assert.equal(asked, false);
    assert.equal(fs.existsSync(dest), false);
  }));

  test('a small ciphertext that matches its recorded hash but does not authenticate leaves no plaintext', withDir(async (dir) => {
    const id = X25519Identity.generate();
    const file = path.join(dir, 'in');
    fs.writeFileSync(file, randomBytes(K + 5));
    await sealInPlace(file, [id.recipient()]);
    const key = unwrapFileKey(await readHeaderOfFile(file), [id]);
    const ct = fs.readFileSync(file);
    ct[ct.length - 3] = (ct[ct.length - 3] as number) ^ 1;
    fs.writeFileSync(file, ct);
    const dest = path.join(dir, 'out');
    await assert.rejects(openVerified(file, key, dest, sha(ct)), (e: unknown) => e instanceof CorruptFileError);
    assert.equal(fs.existsSync(dest), false);
    const wrong = key.map((b) => b ^ 0xff);
    await assert.rejects(openVerified(file, wrong, dest, sha(ct)), (e: unknown) => e instanceof CorruptFileError && /header MAC/.test(e.message));
    assert.equal(fs.existsSync(dest), false);
  }));

  test('a small armored input opens through the streaming path', withDir(async (dir) => {
    const id = X25519Identity.generate();
    const plain = Buffer.from('armored input\n');
    const armored = await collect(encrypt([id.recipient()], plain, { armor: true }));
    const file = path.join(dir, 'in.age');
    fs.writeFileSync(file, armored);
    const key = unwrapFileKey(await readHeaderOfFile(file), [id]);
    await openVerified(file, key, path.join(dir, 'out'), sha(armored));
    assert.ok(fs.readFileSync(path.join(dir, 'out')).equals(plain));
  }));
  test('an output sealed into its fresh attempt directory is written in place, never over an existing file, and nothing is left when sealing fails', withDir(async (dir) => {
    const id = X25519Identity.generate();
    for (const size of [5, SMALL_FILE + K]) {
      const plain = randomBytes(size);
      const file = path.join(dir, `p${size}`);
      fs.writeFileSync(file, plain);
      const dest = path.join(dir, `o${size}.age`);
      const r = await sealInPlace(file, [id.recipient()], {}, dest, true);
      const ct = fs.readFileSync(dest);
      assert.equal(r.sha256, sha(ct), `size ${size}`);
      assert.equal(fs.statSync(dest).mode & 0o777, 0o600);
      assert.ok((await collect(decrypt([id], ct))).equals(plain), `size ${size} decrypts`);
      await assert.rejects(sealInPlace(file, [id.recipient()], {}, dest, true), /EEXIST/, 'an existing name is an error, not replaced');
      assert.ok(fs.readFileSync(dest).equals(ct), 'the existing file is unchanged');
    }
    const gone = path.join(dir, 'missing-plaintext');
    await assert.rejects(sealInPlace(gone, [id.recipient()], {}, path.join(dir, 'gone.age'), true));
    assert.equal(fs.existsSync(path.join(dir, 'gone.age')), false, 'a failed sealing leaves no output');
    assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.sealing')).length, 0, 'no temporary file is made');
  }));
});
