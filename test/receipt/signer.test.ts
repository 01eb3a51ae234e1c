import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadReceiptSigner } from '../../src/master/receipt/signer.js';
import { runCli } from '../helpers/cli.js';
import { workdirWith } from '../cli/run-helpers.js';

describe('§14 the receipt signing key', () => {
  test('concurrent first runs on a fresh machine agree on one master, with 0600 key files and one warning', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-signer-'));
    const warnings: string[] = [];
    const signers = await Promise.all(Array.from({ length: 4 }, () => loadReceiptSigner({ passphrase: async () => undefined, warn: (m) => warnings.push(m), env: { SEALFLOW_HOME: home } })));
    assert.equal(new Set(signers.map((s) => s.pin)).size, 1);
    assert.equal(warnings.filter((w) => w.includes('created a local master')).length, 1);
    const dir = path.join(home, 'master');
    for (const f of ['signing-key.pem', 'broker-identity.txt']) assert.equal(fs.statSync(path.join(dir, f)).mode & 0o777, 0o600, f);
    assert.deepEqual(fs.readdirSync(home).filter((n) => n.startsWith('.master-')), [], 'no temporary master left behind');
  });

  test('a run whose master keys are encrypted and no passphrase is given exits 2 before anything runs', async () => {
    const { cwd, flow } = workdirWith('chain');
    const env = { SEALFLOW_HOME: path.join(cwd, 'home') };
    const init = await runCli(['master', 'init', '--work-factor', '10'], { cwd, env: { ...env, SEALFLOW_MASTER_PASSPHRASE: 'pw' } });
    assert.equal(init.code, 0, init.stderr);
    const r = await runCli(['run', flow], { cwd, env: { ...env, SEALFLOW_MASTER_PASSPHRASE: '' } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /encrypted: set SEALFLOW_MASTER_PASSPHRASE/);
    assert.equal(fs.existsSync(path.join(cwd, '.sealflow')), false, 'no run was created');
    const ok = await runCli(['run', flow], { cwd, env: { ...env, SEALFLOW_MASTER_PASSPHRASE: 'pw' } });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^receipt: /m);
  });

  test('a --no-encrypt run, whose workers start before the signing key loads, also exits 2 with no run created when no passphrase is given', async () => {
    const { cwd, flow } = workdirWith('chain');
    const env = { SEALFLOW_HOME: path.join(cwd, 'home') };
    const init = await runCli(['master', 'init', '--work-factor', '10'], { cwd, env: { ...env, SEALFLOW_MASTER_PASSPHRASE: 'pw' } });
    assert.equal(init.code, 0, init.stderr);
    const r = await runCli(['run', flow, '--no-encrypt'], { cwd, env: { ...env, SEALFLOW_MASTER_PASSPHRASE: '' } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /encrypted: set SEALFLOW_MASTER_PASSPHRASE/);
    assert.doesNotMatch(r.stderr, /worker/, 'no worker reported anything');
    assert.equal(fs.existsSync(path.join(cwd, '.sealflow')), false, 'no run was created');
  });
});
