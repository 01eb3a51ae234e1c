/** Identity and recipient files: age's format, mode 0600, no overwrite, a warning when others can read. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../src/errors.js';
import { X25519Identity, X25519Recipient } from '../../src/crypto/index.js';
import { parseIdentities, readIdentityFile, readRecipientsFile, writeIdentityFile } from '../../src/crypto/keyfile.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sealflow-keyfile-'));

describe('identity files', () => {
  test('are written as age-keygen writes them, with mode 0600', async () => {
    const id = X25519Identity.generate();
    const file = path.join(dir, 'a.key');
    await writeIdentityFile(file, id);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.match(lines[0]!, /^# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(lines[1], `# public key: ${id.recipient().toString()}`);
    assert.match(lines[2]!, /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    const [back] = await readIdentityFile(file);
    assert.equal(back!.recipient().toString(), id.recipient().toString());
  });

  test('are mode 0600 even under a permissive umask', async () => {
    const old = process.umask(0);
    try {
      const file = path.join(dir, 'umask.key');
      await writeIdentityFile(file, X25519Identity.generate());
      assert.equal(statSync(file).mode & 0o777, 0o600);
    } finally {
      process.umask(old);
    }
  });

  test('are never overwritten', async () => {
    const file = path.join(dir, 'b.key');
    writeFileSync(file, 'precious');
    await assert.rejects(writeIdentityFile(file, X25519Identity.generate()), (e: unknown) => e instanceof InputError && /refusing to overwrite/.test(e.message));
    assert.equal(readFileSync(file, 'utf8'), 'precious');
  });

  test('produce a warning when readable by others, and none at 0600', async () => {
    const file = path.join(dir, 'c.key');
    await writeIdentityFile(file, X25519Identity.generate());
    const warnings: string[] = [];
    await readIdentityFile(file, (w) => warnings.push(w));
    assert.equal(warnings.length, 0);
    chmodSync(file, 0o644);
    await readIdentityFile(file, (w) => warnings.push(w));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /accessible by other users \(mode 0644\).*chmod 600/);
  });

  test('a malformed line is an input error naming the file and line, without echoing it', () => {
    const text = `# comment\n\n${X25519Identity.generate().toString()}\nAGE-SECRET-KEY-1NOTAKEY\n`;
    assert.throws(
      () => parseIdentities(text, 'k.txt'),
      (e: unknown) => e instanceof InputError && e.message.startsWith('k.txt:4: not an age identity') && !e.message.includes('NOTAKEY'),
    );
  });

  test('an unreadable key file is an input error naming it', async () => {
    const missing = path.join(dir, 'missing.key');
    await assert.rejects(readIdentityFile(missing), (e: unknown) => e instanceof InputError && e.message.includes(missing));
  });

  test('an identity round-trips through its AGE-SECRET-KEY-1 string and lowercase is refused', () => {
    const id = X25519Identity.generate();
    assert.equal(X25519Identity.tryParse(id.toString())?.recipient().toString(), id.recipient().toString());
    assert.equal(X25519Identity.tryParse(id.toString().toLowerCase()), null);
  });
});

describe('recipients', () => {
  test('a malformed recipient string is an input error naming it', () => {
    assert.throws(() => X25519Recipient.parse('age1notarecipient'), (e: unknown) => e instanceof InputError && e.message.includes('"age1notarecipient"'));
    const upper = X25519Identity.generate().recipient().toString().toUpperCase();
    assert.throws(() => X25519Recipient.parse(upper), InputError);
  });

  test('a secret key given as a recipient is refused without echoing it', () => {
    const secret = X25519Identity.generate().toString();
    assert.throws(() => X25519Recipient.parse(secret), (e: unknown) => e instanceof InputError && !e.message.includes(secret.slice(16)));
  });

  test('recipients files skip comments and blank lines and name the bad line', async () => {
    const r = X25519Identity.generate().recipient().toString();
    const good = path.join(dir, 'r.txt');
    writeFileSync(good, `# team\n${r}\n\n${r}\n`);
    assert.equal((await readRecipientsFile(good)).length, 2);
    const bad = path.join(dir, 'bad.txt');
    writeFileSync(bad, `${r}\nage1xyz\n`);
    await assert.rejects(readRecipientsFile(bad), (e: unknown) => e instanceof InputError && e.message.startsWith(`${bad}:2:`));
  });
});
