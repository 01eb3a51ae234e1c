/**
 * A `gramine` deployment through `sealflow run` on a machine without SGX: the
 * master builds and signs the enclave with the owner's key using the stand-in
 * toolchain first on PATH (standins.ts), the local connector runs the
 * platform's `gramine-sgx` launch, the stand-in runs what the signed manifest
 * fixes, the real provisioner reads a fake /dev/attestation holding a recorded
 * real SGX quote, and the master refuses it with `report-data-mismatch` — the
 * correct end of such a run: the quote is authentic and its MRENCLAVE is in
 * the deployment's policy, but it does not bind this worker's keys.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sgxV3Dcap } from '../attestation/intel-fixtures.js';
import { fakeGramineDir, removeFakeDevices } from './fake-devices.js';
import { standIns } from './standins.js';
import { assertRecordedRefusal, runWork, sgxWork } from './recorded-run.js';
import { attestedDeployment } from '../../src/master/start.js';
import { hardwareOptions } from '../../src/master/gramine-enclave.js';
import { bindSshDeployment, hostsMissing, startHosts, type Hosts } from '../helpers/hosts.js';

const tools = standIns();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-run-gramine-'));
after(() => {
  removeFakeDevices();
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(tools.bin, { recursive: true, force: true });
});

/** A work directory with the leak fixture, a policy allowing the recorded quote's MRENCLAVE, and a gramine deployment reading the quote from a fake /dev/attestation. */
async function workDir(connector = 'connector: local'): Promise<{ work: string; env: NodeJS.ProcessEnv }> {
  const work = await sgxWork(root, { platform: 'gramine', connector, keyText: 'stand-in key: the stand-in signer reads nothing from it\n', options: () => ({ attestationRoot: fakeGramineDir(sgxV3Dcap().evidence) }) });
  const devices = path.join(work, 'devices');
  fs.mkdirSync(path.join(devices, 'dev'), { recursive: true });
  fs.writeFileSync(path.join(devices, 'dev', 'sgx_enclave'), '');
  const env = { SEALFLOW_HOME: path.join(root, 'home'), SEALFLOW_MASTER_PASSPHRASE: '', PATH: `${tools.bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, SEALFLOW_DEVICE_ROOT: devices };
  return { work, env };
}

/** Runs the leak fixture on the gramine deployment of `work` and checks the run's correct end: the master's report-data-mismatch refusal. */
async function refusedRun(work: string, env: NodeJS.ProcessEnv): Promise<void> {
  const before = tools.calls().length;
  const r = await runWork(work, env);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /worker enclaves-1 \(deployment enclaves, connector (local|ssh), platform gramine\) (was refused by the key broker|exited before it was ready \(code 3, signal null\): the key broker refused it) \(report-data-mismatch/);
  const calls = tools.calls().slice(before);
  const sign = calls.find((c) => c.tool === 'gramine-sgx-sign');
  assert.equal(sign?.args.at(-1), path.join(work, 'owner-key.pem'), 'signed on the master with the owner key');
  const run = calls.find((c) => c.tool === 'gramine-sgx');
  assert.deepEqual(run?.args, ['sealflow-provisioner']);
  assert.deepEqual(run?.payload?.argv, [process.execPath, 'provisioner.mjs', 'launch.json'], 'argv fixed by the signed manifest, relative to the worker directory');
  assertRecordedRefusal(path.join(work, 'state'), 'report-data-mismatch');
}

describe('platform gramine through sealflow run (local connector, stand-in toolchain)', () => {
  test('the master signs the enclave with the owner key, the host runs gramine-sgx, and the recorded quote is refused with report-data-mismatch, journalled as recorded evidence', async () => {
    const { work, env } = await workDir();
    await refusedRun(work, env);
  });

  test('a gramine deployment without the owner signing key is refused at start, naming the deployment and the key', async () => {
    const { work, env } = await workDir();
    fs.writeFileSync(path.join(work, 'sealflow.yaml'), fs.readFileSync(path.join(work, 'sealflow.yaml'), 'utf8').replace(/signingKey: "[^"]*", /, ''));
    const r = await runWork(work, env);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /deployment enclaves: signingKey is missing/);
  });

  test('on a machine without the SGX device the start-time error names what is missing', async () => {
    const { work, env } = await workDir();
    const r = await runWork(work, { ...env, SEALFLOW_DEVICE_ROOT: path.join(work, 'no-devices') });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /platform gramine cannot start workers here: it needs SGX hardware and Gramine \(this machine lacks \/dev\/sgx_enclave\)/);
  });
});

describe('platform gramine through sealflow run on an ssh namespace host (stand-in toolchain)', { skip: hostsMissing() }, () => {
  let hosts: Hosts;
  let work: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    const made = await workDir('connector: ssh');
    work = made.work;
    // The master needs no SGX device for a remote host's enclave: only Gramine's build and sign tools (stand-ins).
    // The host's device is looked for at start (the host probe) under the same root, which the host must see: not in the hidden work directory.
    const devices = fs.mkdtempSync(path.join(root, 'host-devices-'));
    fs.mkdirSync(path.join(devices, 'dev'));
    fs.writeFileSync(path.join(devices, 'dev', 'sgx_enclave'), '');
    env = { ...made.env, SEALFLOW_DEVICE_ROOT: devices };
    hosts = await startHosts(1, { hide: [work, path.join(root, 'home')] });
    const h = hosts.hosts[0];
    assert.ok(h);
    bindSshDeployment(path.join(work, 'sealflow.yaml'), h);
  });
  after(async () => {
    await hosts?.stopAll();
  });

  test('the master without an SGX device signs the enclave, it is uploaded and checked, gramine-sgx runs on the host, and the recorded quote is refused with report-data-mismatch', async () => {
    await refusedRun(work, env);
  });
});

describe('a gramine deployment\'s options, checked before anything starts', () => {
  test('a gramine deployment without a policy is refused, naming the deployment and what the policy must list', () => {
    assert.throws(() => attestedDeployment({ id: 'enclaves', connector: 'local', platform: 'gramine', options: {} }), /deployment enclaves: platform gramine needs a policy: file listing the enclave's MRENCLAVE/);
  });

  test('verifyAt that is not an ISO time, a relative attestationRoot and an unreadable signing key are each refused with the key and what to do', () => {
    const key = path.join(root, 'k.pem');
    fs.writeFileSync(key, 'k', { mode: 0o600 });
    assert.throws(() => hardwareOptions('e', 'gramine', { signingKey: key, verifyAt: 'yesterday' }), /deployment e: verifyAt: yesterday is not an ISO 8601 time/);
    assert.throws(() => hardwareOptions('e', 'gramine', { signingKey: key, attestationRoot: 'dev/attestation' }), /deployment e: attestationRoot: dev\/attestation is not an absolute path/);
    assert.throws(() => hardwareOptions('e', 'gramine', { signingKey: path.join(root, 'absent.pem') }), /deployment e: signingKey: .*absent\.pem cannot be read on this machine/);
    assert.equal(hardwareOptions('e', 'gramine', { signingKey: key }).attestationRoot, '/dev/attestation');
  });
});
