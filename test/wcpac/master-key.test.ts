/** docs/protocol.md §2: the master signing key, the broker identity at rest, and the run CA. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ephemeralMaster, initMaster, keyPin, loadMaster, readMasterPublic } from '../../src/crypto/master-key.js';
import { RunCa } from '../../src/crypto/run-ca.js';
import { InputError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';

const tmp = () => mkdtemp(path.join(os.tmpdir(), 'sealflow-master-'));

describe('§2 master keys at rest', () => {
  test('master init encrypts both keys with the passphrase and loadMaster recovers them', async () => {
    const dir = path.join(await tmp(), 'm');
    const info = await initMaster(dir, { passphrase: 'correct horse', workFactor: 10 });
    assert.equal(info.protection, 'scrypt');
    for (const f of ['signing-key.age', 'broker-identity.age']) {
      const st = await stat(path.join(dir, f));
      assert.equal(st.mode & 0o777, 0o600, f);
      const text = await readFile(path.join(dir, f), 'latin1');
      assert.ok(text.startsWith('age-encryption.org/v1\n-> scrypt '), `${f} is an age scrypt file`);
      assert.ok(!text.includes('PRIVATE KEY') && !text.includes('AGE-SECRET-KEY'), `${f} holds no plaintext key`);
    }
    const keys = await loadMaster(dir, 'correct horse');
    assert.equal(keys.pin, info.pin);
    assert.equal(keys.brokerIdentity.recipient().toString(), info.brokerRecipient);
    assert.equal(keyPin(createPublicKey(info.signingPublicKey)), info.pin);
  });

  test('a wrong passphrase is refused with an input error naming the file', async () => {
    const dir = path.join(await tmp(), 'm');
    await initMaster(dir, { passphrase: 'right', workFactor: 10 });
    await assert.rejects(loadMaster(dir, 'wrong'), (e: unknown) => e instanceof InputError && /passphrase/.test(e.message) && e.message.includes('signing-key.age'));
  });

  test('plaintext keys are 0600 files and loading them warns loudly', async () => {
    const dir = path.join(await tmp(), 'm');
    await initMaster(dir, { insecurePlaintext: true });
    assert.deepEqual((await readdir(dir)).sort(), ['broker-identity.txt', 'master.json', 'signing-key.pem']);
    assert.equal((await stat(path.join(dir, 'signing-key.pem'))).mode & 0o777, 0o600);
    const warnings: string[] = [];
    await loadMaster(dir, undefined, (w) => warnings.push(w));
    assert.match(warnings.join('\n'), /UNENCRYPTED/);
  });

  test('master init refuses to overwrite an existing master', async () => {
    const dir = path.join(await tmp(), 'm');
    await initMaster(dir, { insecurePlaintext: true });
    await assert.rejects(initMaster(dir, { insecurePlaintext: true }), InputError);
  });

  test('the CLI creates a master from the environment passphrase and prints its pin', async () => {
    const dir = path.join(await tmp(), 'm');
    const init = await runCli(['master', 'init', '--dir', dir, '--work-factor', '10'], { env: { SEALFLOW_MASTER_PASSPHRASE: 'pw' } });
    assert.equal(init.code, 0, init.stderr);
    const info = await readMasterPublic(dir);
    assert.match(init.stdout, new RegExp(info.pin));
    const pin = await runCli(['master', 'key', '--dir', dir, '--pin']);
    assert.equal(pin.stdout, `${info.pin}\n`);
    const key = await runCli(['master', 'key', '--dir', dir]);
    assert.match(key.stdout, /BEGIN PUBLIC KEY/);
  });

  test('the CLI without a passphrase or terminal refuses with exit 2, and --insecure-plaintext-keys warns', async () => {
    const dir = path.join(await tmp(), 'm');
    const none = await runCli(['master', 'init', '--dir', dir], { env: { SEALFLOW_MASTER_PASSPHRASE: '' } });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /SEALFLOW_MASTER_PASSPHRASE/);
    const plain = await runCli(['master', 'init', '--dir', dir, '--insecure-plaintext-keys'], { env: { SEALFLOW_MASTER_PASSPHRASE: '' } });
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /WARNING: .*UNENCRYPTED/);
  });
});

describe('§2 run CA', () => {
  test('the run CA certificate is a CA signed by the master signing key', async () => {
    const m = ephemeralMaster();
    const ca = await RunCa.create(m, 'run-a', 3_600_000);
    const x = new X509Certificate(Buffer.from(ca.certDer));
    assert.equal(x.ca, true);
    assert.ok(x.verify(m.signingPublicKey));
    assert.equal(x.subject, 'CN=sealflow run CA run-a');
    assert.ok(!x.verify(ephemeralMaster().signingPublicKey), 'another master key does not verify it');
  });

  test('the server certificate chains to the run CA and client certificates are accepted only from this run, unrevoked', async () => {
    const m = ephemeralMaster();
    const ca = await RunCa.create(m, 'run-a', 3_600_000);
    const other = await RunCa.create(m, 'run-b', 3_600_000);
    const server = await ca.serverCredentials();
    const leaf = new X509Certificate(server.certChainPem);
    assert.ok(leaf.verify(ca.publicKey));
    const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
    const mine = await ca.issueClientCert(spki, 'dep-1');
    const theirs = await other.issueClientCert(spki, 'dep-1');
    assert.equal(ca.checkClientCert(mine), null);
    assert.match(ca.checkClientCert(theirs) ?? '', /not issued by this run's CA/);
    assert.match(ca.checkClientCert(mine, new Date(Date.now() + 2 * 3_600_000)) ?? '', /not valid now/);
    ca.revoke(mine);
    assert.match(ca.checkClientCert(mine) ?? '', /revoked/);
    assert.equal(new X509Certificate(Buffer.from(mine)).subject, 'CN=run-a/dep-1');
  });
});

describe('§3 policy init', () => {
  test('policy init writes a loadable policy with the reference sim measurement for this master', async () => {
    const { loadPolicy } = await import('../../src/attestation/policy-load.js');
    const { referenceSimMeasurement } = await import('../../src/tee/sim/measure.js');
    const dir = await tmp();
    const m = path.join(dir, 'm');
    await initMaster(m, { insecurePlaintext: true });
    const out = path.join(dir, 'policy.yaml');
    const r = await runCli(['policy', 'init', '--dir', m, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const p = loadPolicy(out);
    assert.equal(p.allowSimulated, true);
    assert.deepEqual(p.sim.measurements, [referenceSimMeasurement((await readMasterPublic(m)).pin)]);
    assert.deepEqual(p.sgx.mrEnclaves, []);
    const again = await runCli(['policy', 'init', '--dir', m, '-o', out]);
    assert.equal(again.code, 2);
  });
});
