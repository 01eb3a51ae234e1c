/**
 * The local owner identity ($SEALFLOW_HOME/owner-identity.txt) is created on
 * first use. Concurrent first runs sharing one home must agree on a single,
 * complete identity: none may fail with "refusing to overwrite" or read a
 * half-written file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ownerIdentityFile, ownerRecipient } from '../../src/master/local-master.js';

test('concurrent first uses of the owner identity all get the one identity that was created, mode 0600, and leave no temporary file', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-owner-'));
  const saved = process.env['SEALFLOW_HOME'];
  process.env['SEALFLOW_HOME'] = home;
  try {
    const warnings: string[] = [];
    const recipients = await Promise.all(Array.from({ length: 8 }, () => ownerRecipient(undefined, (m) => warnings.push(m))));
    const strings = new Set(recipients.map((r) => r.toString()));
    assert.equal(strings.size, 1, 'every caller got the same recipient');
    assert.equal(warnings.length, 1, 'the identity was created (and announced) once');
    const file = ownerIdentityFile();
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.ok(fs.readFileSync(file, 'utf8').includes([...strings][0]!), 'the file holds the recipient the callers got');
    assert.deepEqual(fs.readdirSync(path.dirname(file)).filter((n) => n.startsWith('.owner-identity-')), []);
  } finally {
    if (saved === undefined) delete process.env['SEALFLOW_HOME'];
    else process.env['SEALFLOW_HOME'] = saved;
    fs.rmSync(home, { recursive: true, force: true });
  }
});
