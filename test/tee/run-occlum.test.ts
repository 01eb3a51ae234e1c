/**
 * An `occlum` deployment through `sealflow run` on a machine without SGX: the
 * master bundles the provisioner with esbuild, makes the image's entry a real
 * Node single executable (`node --experimental-sea-config` + postject), and
 * builds the image with the stand-in `occlum` and `copy_bom` first on PATH
 * (standins.ts); the connector ships the instance as one archive and checks
 * it; the host unpacks it and runs `occlum run /bin/sealflow-provisioner`,
 * whose stand-in runs the single executable chrooted into the image with
 * exactly `env.default`; the real provisioner reads the devfs quote files of a
 * fake root holding a recorded real SGX quote; and the master refuses it with
 * `report-data-mismatch` — the correct end of such a run. Nothing here is a
 * TEE result.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sgxV3Dcap } from '../attestation/intel-fixtures.js';
import { standIns } from './standins.js';
import { assertRecordedRefusal, runWork, sgxWork } from './recorded-run.js';
import { hardwareOptions } from '../../src/master/gramine-enclave.js';
import { WorkerPool } from '../../src/engine/workers.js';
import { withEnv } from '../helpers/env.js';
import { bindSshDeployment, hostsMissing, startHosts, type Hosts } from '../helpers/hosts.js';

const tools = standIns();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-run-occlum-'));
const home = path.join(root, 'home');
// Device files the start-time checks look for (SEALFLOW_DEVICE_ROOT), outside every hidden directory so an ssh namespace host sees them too.
const devices = path.join(root, 'devices');
fs.mkdirSync(path.join(devices, 'dev'), { recursive: true });
fs.writeFileSync(path.join(devices, 'dev', 'sgx_enclave'), '');
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(tools.bin, { recursive: true, force: true });
});

/** The stand-in's devfs (bound at the image's /dev) holds the recorded quote under the deployment's attestationRoot. */
const ATTESTATION_ROOT = '/dev/recorded';

/** A work directory with the leak fixture, a policy allowing the recorded quote's MRENCLAVE, and an occlum deployment. */
async function workDir(connector = 'connector: local'): Promise<{ work: string; env: NodeJS.ProcessEnv }> {
  fs.mkdirSync(path.join(tools.bin, 'dev', 'recorded'), { recursive: true });
  fs.writeFileSync(path.join(tools.bin, 'dev', 'recorded', 'attestation_quote'), sgxV3Dcap().evidence);
  // The same key bytes in every work directory: the image's build record keys on them.
  const work = await sgxWork(root, { platform: 'occlum', connector, keyText: 'stand-in key: the stand-in occlum build reads nothing from it\n', options: () => ({ attestationRoot: ATTESTATION_ROOT, edmm: true }) });
  const env = { SEALFLOW_HOME: home, SEALFLOW_MASTER_PASSPHRASE: '', PATH: `${tools.bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, SEALFLOW_DEVICE_ROOT: devices };
  return { work, env };
}

const run = runWork;

/** Runs the leak fixture on the occlum deployment of `work` and checks the run's correct end: the master's report-data-mismatch refusal. Returns the toolchain calls it made. */
async function refusedRun(work: string, env: NodeJS.ProcessEnv): Promise<ReturnType<typeof tools.calls>> {
  const before = tools.calls().length;
  const r = await run(work, env);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /worker enclaves-1 \(deployment enclaves, connector (local|ssh), platform occlum\) (was refused by the key broker|exited before it was ready \(code 3, signal null\): the key broker refused it) \(report-data-mismatch/);
  const calls = tools.calls().slice(before);
  const occlumRun = calls.find((c) => c.tool === 'occlum' && c.args[0] === 'run');
  assert.deepEqual(occlumRun?.args, ['run', '/bin/sealflow-provisioner'], 'the host names only the image entry');
  assert.deepEqual(occlumRun?.payload?.env, { HOME: '/scratch', PATH: '/bin:/usr/bin', LANG: 'C.UTF-8' }, 'exactly env.default');
  assertRecordedRefusal(path.join(work, 'state'), 'report-data-mismatch');
  assert.equal(fs.readFileSync(path.join(tools.bin, 'dev', 'recorded', 'attestation_report_data')).length, 64, 'the provisioner wrote its report data to the devfs file');
  return calls;
}

/** The cached instance archives of this test's master. */
const archives = (): string[] => fs.readdirSync(path.join(home, 'cache')).filter((f) => /^occlum-[0-9a-f]{32}\.tar$/.test(f));

describe('platform occlum through sealflow run (local connector, stand-in toolchain)', () => {
  test('the master builds a real Node single executable and the image with the owner key, the host unpacks the shipped instance and runs occlum run, and the recorded quote is refused with report-data-mismatch, journalled as recorded evidence', async () => {
    const { work, env } = await workDir();
    const calls = await refusedRun(work, env);
    const build = calls.find((c) => c.tool === 'occlum' && c.args[0] === 'build');
    assert.deepEqual(build?.args, ['build', '--sign-key', path.join(work, 'owner-key.pem')], 'signed on the master with the owner key');
    assert.equal(build?.edmm, 'Y', 'edmm: true builds with ENABLE_EDMM=Y');
    assert.ok(calls.some((c) => c.tool === 'copy_bom'));
    const [archive] = archives();
    assert.ok(archive !== undefined);
    // postject flips the SEA fuse in the copy of node it injects into: the entry is a real single executable.
    const bytes = fs.readFileSync(path.join(home, 'cache', archive));
    assert.ok(bytes.includes('image/bin/sealflow-provisioner\0'), 'the entry is in the image');
    assert.ok(bytes.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1'), 'a Node single executable with its blob injected');
    assert.ok(!bytes.includes(`image${process.execPath}\0`), 'no second node beside the single executable');
  });

  test('on a machine without the SGX device the start-time error names what is missing', async () => {
    const { work, env } = await workDir();
    const r = await run(work, { ...env, SEALFLOW_DEVICE_ROOT: path.join(work, 'no-devices') });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /platform occlum cannot start workers here: it needs SGX hardware and Occlum \(this machine lacks \/dev\/sgx_enclave\)/);
  });

  test('for workers on another host the master needs only what builds the image: Occlum\'s tools here, never the SGX device', async () => {
    const check = (PATH: string) => withEnv({ PATH, SEALFLOW_DEVICE_ROOT: path.join(root, 'no-devices') }, () => WorkerPool.check([{ id: 'enclaves', connector: 'ssh', platform: 'occlum', workers: 1, options: {} }]));
    await assert.rejects(check('/nonexistent'), /deployment enclaves \(connector ssh\): platform occlum cannot start workers here: it needs Occlum on the master, which builds and signs the image with the owner's key \(this machine lacks occlum on PATH, copy_bom on PATH\)/);
    await check(tools.bin);
  });

  test('an occlum deployment without the owner signing key is refused at start, naming the deployment and the key', () => {
    assert.throws(() => hardwareOptions('enclaves', 'occlum', {}), /deployment enclaves: signingKey is missing: a occlum deployment names the owner's enclave signing key/);
    const key = path.join(root, 'k.pem');
    fs.writeFileSync(key, 'k', { mode: 0o600 });
    assert.equal(hardwareOptions('e', 'occlum', { signingKey: key }).attestationRoot, '/dev', 'the devfs quote files are in /dev');
  });
});

describe('platform occlum through sealflow run on an ssh namespace host (stand-in toolchain)', { skip: hostsMissing() }, () => {
  let hosts: Hosts;
  let work: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    ({ work, env } = await workDir('connector: ssh'));
    hosts = await startHosts(1, { hide: [work, home] });
    const h = hosts.hosts[0];
    assert.ok(h);
    bindSshDeployment(path.join(work, 'sealflow.yaml'), h);
  });
  after(async () => {
    await hosts?.stopAll();
  });

  test('the image built for the same deployment by an earlier run is reused (nothing of the toolchain runs but occlum run), the instance archive is uploaded and checked, the host unpacks it and runs occlum run, and the recorded quote is refused with report-data-mismatch', async () => {
    const calls = await refusedRun(work, env);
    assert.deepEqual(calls.filter((c) => c.tool === 'copy_bom' || c.args[0] !== 'run').map((c) => `${c.tool} ${c.args[0] ?? ''}`), [], 'no rebuild');
    assert.equal(archives().length, 1);
  });

  test('a host without the SGX device fails the start before any step, in one line naming the deployment, the host and what is missing', async () => {
    const before = tools.calls().length;
    const r = await run(work, { ...env, SEALFLOW_DEVICE_ROOT: path.join(root, 'no-devices') });
    assert.equal(r.code, 1, r.stderr);
    const line = r.stderr.split('\n').find((l) => /lacks what platform occlum needs/.test(l));
    assert.match(line ?? r.stderr, /deployment "enclaves": host \S+: lacks what platform occlum needs there: \/dev\/sgx_enclave \(the SGX driver\) — install it on that host/);
    assert.equal(tools.calls().slice(before).some((c) => c.tool === 'occlum' && c.args[0] === 'run'), false, 'nothing was launched');
  });
});
