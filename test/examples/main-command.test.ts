/**
 * The README's main command, `sealflow run examples/word-count`, on a fresh
 * machine (empty SEALFLOW_HOME): it initialises a local master (0600 key
 * files, with the warning), runs word count on attested sim workers with
 * encrypted inputs and results, prints which worker was attested with what
 * measurement and a decrypted preview of the result, and says how to
 * decrypt it in full; the decrypted result equals the direct count.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, runCli } from '../helpers/cli.js';
import { checkCounts } from '../../examples/word-count/check.js';

describe('the README main command', () => {
  test('sealflow run examples/word-count: first-use master, attested sim workers with their measurement, encrypted result previewed and decryptable', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-main-'));
    const home = path.join(root, 'home');
    const env = { SEALFLOW_HOME: home, SEALFLOW_MASTER_PASSPHRASE: '' };
    try {
      const r = await runCli(['run', path.join(REPO, 'examples', 'word-count')], { cwd: root, env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /WARNING: created a local master with UNENCRYPTED key files \(mode 0600\)/);
      for (const f of ['signing-key.pem', 'broker-identity.txt']) assert.equal(fs.statSync(path.join(home, 'master', f)).mode & 0o777, 0o600, f);
      assert.equal(fs.statSync(path.join(home, 'owner-identity.txt')).mode & 0o777, 0o600);
      assert.match(r.stdout, /^attested: local-1 \(deployment local\) — sim evidence, simulated, NOT a TEE, measurement [0-9a-f]{96}$/m);
      assert.match(r.stdout, /^results are encrypted to the owner; decrypted here for display only with .*owner-identity\.txt:$/m);
      assert.match(r.stdout, /^ {2}counts \(.*counts\.tsv\.age, \d+ bytes encrypted\), first 8 lines:$/m);
      const m = /^decrypt in full: sealflow decrypt -i (\S+) -o counts\.tsv (\S+) {3}\(or: age -d -i \S+ \S+\)$/m.exec(r.stdout);
      assert.ok(m, r.stdout);
      const encrypted = path.resolve(root, m[2] ?? '');
      assert.equal(fs.readFileSync(encrypted).subarray(0, 21).toString(), 'age-encryption.org/v1');
      const plain = path.join(root, 'counts.tsv');
      const dec = await runCli(['decrypt', '-i', path.join(home, 'owner-identity.txt'), '-o', plain, encrypted], { cwd: root, env });
      assert.equal(dec.code, 0, dec.stderr);
      const check = await checkCounts(path.join(REPO, 'examples', 'word-count', 'data', 'sample.txt'), plain);
      assert.ok(check.ok, JSON.stringify(check));
      const firstLines = fs.readFileSync(plain, 'utf8').split('\n').slice(0, 8);
      for (const l of firstLines) assert.ok(r.stdout.includes(`\n    ${l}\n`), `the preview shows ${l}`);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
