/**
 * docs/protocol.md §10.5, unit level: an input ciphertext is read once —
 * hashed while it is decrypted into a private file that is kept only if the
 * whole file's SHA-256 matched; outputs are sealed in one pass; the master
 * records a worker's reported output hash with the header of the file.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decrypt, readHeaderOfFile, unwrapFileKey } from '../../src/crypto/index.js';
import { X25519Identity } from '../../src/crypto/x25519.js';
import { HashMismatchError, openVerified, sealInPlace } from '../../src/worker/attested/sealed-io.js';
import { attemptOutDir, HEADER_PREFIX, ReportRefusal, readOutputPrefix } from '../../src/master/output-rules.js';
import { headerOf } from '../../src/master/broker/recorded.js';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-sealio-'));
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** 9 MiB + 7 bytes: past the pipeline's 4 MiB pool threshold, not a whole number of chunks. */
function payload(): Buffer {
  const b = Buffer.alloc(9 * 1024 * 1024 + 7);
  for (let i = 0; i < b.length; i += 4096) b.writeUInt32LE(i, i);
  return b;
}

async function sealed(dir: string, id: X25519Identity, data: Buffer, name = 'in.age'): Promise<{ file: string; sha256: string; size: number; key: Uint8Array }> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, data);
  const r = await sealInPlace(file, [id.recipient()]);
  return { file, ...r, key: unwrapFileKey(await readHeaderOfFile(file), [id]) };
}

describe('§10.5 one read per ciphertext', () => {
  test('§10.5 sealInPlace replaces the file by its age encryption and reports the ciphertext size and SHA-256', async () => {
    const dir = tmp();
    try {
      const id = X25519Identity.generate();
      const data = payload();
      const s = await sealed(dir, id, data);
      const ct = fs.readFileSync(s.file);
      assert.equal(s.size, ct.length);
      assert.equal(s.sha256, sha(ct));
      assert.equal(fs.statSync(s.file).mode & 0o777, 0o600);
      const parts: Buffer[] = [];
      for await (const c of decrypt([id], ct)) parts.push(Buffer.from(c as Uint8Array));
      assert.ok(Buffer.concat(parts).equals(data));
      assert.deepEqual(fs.readdirSync(dir), ['in.age']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('§10.5 openVerified decrypts a matching ciphertext into a new 0600 file', async () => {
    const dir = tmp();
    try {
      const id = X25519Identity.generate();
      const data = payload();
      const s = await sealed(dir, id, data);
      const dest = path.join(dir, 'out');
      await openVerified(s.file, s.key, dest, s.sha256);
      assert.ok(fs.readFileSync(dest).equals(data));
      assert.equal(fs.statSync(dest).mode & 0o777, 0o600);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('§10.5 a substituted ciphertext is refused by its hash and its decryption is deleted unread', async () => {
    const dir = tmp();
    try {
      const id = X25519Identity.generate();
      const good = await sealed(dir, id, payload());
      // Same file key is unknown to the attacker: a fresh file for the same recipient, put in its place.
      const other = await sealed(dir, id, Buffer.from('attacker data'), 'other.age');
      fs.copyFileSync(other.file, good.file);
      const dest = path.join(dir, 'out');
      // With the substitute's own key the decryption succeeds; the hash still refuses it and nothing stays.
      await assert.rejects(openVerified(good.file, other.key, dest, good.sha256), (e: unknown) => e instanceof HashMismatchError && /not the one the master recorded/.test(e.message));
      assert.ok(!fs.existsSync(dest));
      // With the recorded file's key the header MAC fails too: the hash mismatch is what is reported.
      await assert.rejects(openVerified(good.file, good.key, dest, good.sha256), HashMismatchError);
      assert.ok(!fs.existsSync(dest));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('§10.5 a ciphertext changed in its last byte is refused by its hash, and a key that cannot be had is reported after the hash', async () => {
    const dir = tmp();
    try {
      const id = X25519Identity.generate();
      const s = await sealed(dir, id, payload());
      const fd = fs.openSync(s.file, 'r+');
      const last = Buffer.alloc(1);
      fs.readSync(fd, last, 0, 1, s.size - 1);
      fs.writeSync(fd, Buffer.from([last[0]! ^ 1]), 0, 1, s.size - 1);
      fs.closeSync(fd);
      const dest = path.join(dir, 'out');
      await assert.rejects(openVerified(s.file, s.key, dest, s.sha256), HashMismatchError);
      assert.ok(!fs.existsSync(dest));
      await assert.rejects(openVerified(s.file, () => { throw new Error('no key'); }, dest, s.sha256), HashMismatchError);
      assert.ok(!fs.existsSync(dest));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('§10.5 §16 the master reads only the age header of a reported output inside its output directory, and refuses a missing one without revoking', async () => {
    const dir = tmp();
    try {
      const id = X25519Identity.generate();
      const s = await sealed(dir, id, payload());
      const prefix = await readOutputPrefix(await attemptOutDir(dir), s.file);
      assert.ok(prefix.length <= HEADER_PREFIX && prefix.length < s.size, 'a bounded prefix, not the whole file');
      const header = await headerOf(prefix);
      assert.ok(header);
      assert.deepEqual(unwrapFileKey(header, [id]), s.key);
      await assert.rejects(readOutputPrefix(await attemptOutDir(dir), path.join(dir, 'missing.age')), (e: unknown) => e instanceof ReportRefusal && e.reason === 'output-missing' && !e.forged);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('§16.1 in the layout steps/<step>.<index>/ an output in a sibling instance whose name extends this one (s1.1 and s1.10) is outside, and is refused as a forgery', async () => {
    const dir = tmp();
    try {
      const id = X25519Identity.generate();
      const steps = path.join(dir, 'steps');
      const mine = path.join(steps, 's1.1');
      const other = path.join(steps, 's1.10');
      fs.mkdirSync(other, { recursive: true });
      const assigned = await attemptOutDir(mine); // before the worker made it, as the master resolves it at assignment
      fs.mkdirSync(mine);
      const s = await sealed(other, id, Buffer.from('another instance\'s counts\n'), 'o.age');
      for (const p of [s.file, path.join(mine, '..', 's1.10', path.basename(s.file))]) {
        await assert.rejects(readOutputPrefix(assigned, p), (e: unknown) => e instanceof ReportRefusal && e.forged && (e.reason === 'output-outside' || e.reason === 'output-path'), p);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('§16.1 an output directory not yet created is resolved through the real path of its nearest existing ancestor, a symbolic link on the way included', async () => {
    const dir = tmp();
    try {
      const real = path.join(dir, 'real');
      fs.mkdirSync(path.join(real, 'steps'), { recursive: true });
      fs.symlinkSync(real, path.join(dir, 'link'));
      const out = path.join(dir, 'link', 'steps', 's1', '0');
      assert.deepEqual(await attemptOutDir(out), { outDir: out, real: path.join(fs.realpathSync.native(real), 'steps', 's1', '0') });
      fs.mkdirSync(out, { recursive: true });
      assert.deepEqual(await attemptOutDir(out), { outDir: out, real: path.join(fs.realpathSync.native(real), 'steps', 's1', '0') });
      const gone = path.join(dir, 'no', 'such', 'tree');
      assert.deepEqual(await attemptOutDir(gone), { outDir: gone, real: path.join(fs.realpathSync.native(dir), 'no', 'such', 'tree') });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
