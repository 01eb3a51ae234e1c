/**
 * A `cvm` deployment through `sealflow run` on a machine without SEV-SNP or
 * TDX: the connector (local, or an ssh namespace host) runs the platform's
 * launch, which boots one confidential VM per worker with the stand-in
 * `qemu-system-x86_64` first on PATH (standin-qemu.ts): it checks for measured
 * direct boot, runs the image's fixed unit natively — the provisioner and
 * launch.json from the initrd, the unmeasured values and the sealed bundle
 * from fw_cfg — and the provisioner's real configfs-tsm path hands the master
 * recorded real evidence. The master refuses it: the Genoa report with
 * `report-data-mismatch` (it is authentic and its measurement is in the
 * policy, but it does not bind this worker's keys), the TDX quote with
 * `tcb-mismatch` (the first check this real sample fails: its TCB is below
 * every level Intel lists). Nothing here is a TEE result.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initMaster } from '../../src/crypto/master-key.js';
import { attestationData } from '../helpers/shared.js';
import { genoaTsm } from '../attestation/snp-samples.js';
import { bindSshDeployment, hostsMissing, startHosts, type Hosts } from '../helpers/hosts.js';
import { standIns } from './standins.js';
import { testImage, type TestImage } from './cvm-image.js';
import { assertRecordedRefusal, attestationDecision, runWork } from './recorded-run.js';

const tools = standIns();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-run-cvm-'));
const home = path.join(root, 'home');
let pin = '';
before(async () => {
  pin = (await initMaster(path.join(home, 'master'), { insecurePlaintext: true })).pin;
});
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(tools.bin, { recursive: true, force: true });
});

const FLOW = `name: cvm-run
inputs:
  text: file
outputs:
  result: { type: file, from: copy/out }
steps:
  copy:
    command: [cat, $(text)]
    stdout: out.txt
    in:
      text: text
    out:
      out: { type: file, glob: out.txt }
`;

/** A work directory with a one-step flow, a policy allowing the recorded evidence's measurement, and a cvm deployment booting `img`. */
function workDir(img: TestImage, guest: 'sev-snp' | 'tdx', connector = 'connector: local'): { work: string; env: NodeJS.ProcessEnv } {
  const work = fs.mkdtempSync(path.join(root, 'work-'));
  fs.writeFileSync(path.join(work, 'flow.yaml'), FLOW);
  fs.writeFileSync(path.join(work, 'text.txt'), 'recorded evidence run\n');
  const snp = guest === 'sev-snp';
  fs.writeFileSync(path.join(work, 'policy.yaml'), snp ? `sev-snp:\n  measurements: [${genoaTsm.measurement}]\n` : 'tdx:\n  measurements: []\n');
  const devices = path.join(work, 'devices');
  fs.mkdirSync(path.join(devices, 'dev'), { recursive: true });
  for (const d of ['kvm', 'sev']) fs.writeFileSync(path.join(devices, 'dev', d), '');
  const options: Record<string, string> = {
    policy: path.join(work, 'policy.yaml'),
    verifyAt: (snp ? genoaTsm.now : new Date('2023-07-01T00:00:00Z')).toISOString(),
    attestationRoot: img.tsm,
    fwCfgRoot: img.fwCfg,
    guest,
    ...(snp ? {} : { collateral: attestationData('tdx', 'v4-spr') }),
  };
  const opts = Object.entries(options).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ');
  const image = `image: { kernel: ${JSON.stringify(img.kernel)}, initrd: ${JSON.stringify(img.initrd)}, firmware: ${JSON.stringify(img.firmware)} }`;
  fs.writeFileSync(path.join(work, 'sealflow.yaml'), `deployments:\n  vms: { ${connector}, platform: cvm, workers: 1, ${opts}, ${image} }\ndefault: vms\n`);
  const env = { SEALFLOW_HOME: home, SEALFLOW_MASTER_PASSPHRASE: '', PATH: `${tools.bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, SEALFLOW_DEVICE_ROOT: devices };
  return { work, env };
}

const run = runWork;
const attestation = (work: string) => attestationDecision(path.join(work, 'state'));

/** Runs the flow on the cvm deployment and checks its correct end: the master's refusal of the recorded evidence with `reason`. */
async function refusedRun(img: TestImage, work: string, env: NodeJS.ProcessEnv, guest: 'sev-snp' | 'tdx', reason: string): Promise<void> {
  const before = tools.calls().length;
  const r = await run(work, env);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`worker vms-1 \\(deployment vms, connector (local|ssh), platform cvm\\) (was refused by the key broker|exited before it was ready \\(code 0, signal null\\): the key broker refused it) \\(${reason}`));
  const calls = tools.calls().slice(before);
  const qemu = calls.find((c) => c.tool === 'qemu-system-x86_64' && c.payload !== undefined);
  assert.ok(qemu, JSON.stringify(calls));
  const a = qemu.args;
  const at = (o: string) => a[a.indexOf(o) + 1];
  assert.deepEqual([at('-kernel'), at('-initrd'), at('-bios')], [img.kernel, img.initrd, img.firmware], 'measured direct boot from the deployment\'s image');
  const sha = createHash('sha256').update(img.launchJson).digest();
  const object = a.find((x) => /^(sev-snp|tdx)-guest,/.test(x)) ?? '';
  if (guest === 'sev-snp') assert.match(object, new RegExp(`^sev-snp-guest,id=cvm0,.*kernel-hashes=on,host-data=${sha.toString('base64').replaceAll('+', '\\+')}$`), 'HOST_DATA = SHA-256 of launch.json');
  else assert.equal(object, `tdx-guest,id=cvm0,mrconfigid=${Buffer.concat([sha, Buffer.alloc(16)]).toString('base64')}`, 'MRCONFIGID = SHA-256 of launch.json, zero-padded');
  assert.deepEqual(qemu.payload?.cmd, ['/usr/bin/env', '-i', 'PATH=/usr/bin:/bin', 'HOME=/scratch', 'LANG=C.UTF-8', process.execPath, '--', '/opt/sealflow/provisioner.mjs', '/opt/sealflow/launch.json'], 'the unit\'s fixed ExecStart ran: the measured provisioner, never one the connector shipped');
  assertRecordedRefusal(path.join(work, 'state'), reason);
}

describe('platform cvm through sealflow run (local connector, stand-in qemu)', () => {
  test('the VM boots from the measured image, the provisioner reads its values from fw_cfg and sends the recorded Genoa report from configfs-tsm, and the master refuses it with report-data-mismatch, journalled as recorded evidence', async () => {
    const img = testImage(root, pin, 'sev-snp', tools);
    const { work, env } = workDir(img, 'sev-snp');
    await refusedRun(img, work, env, 'sev-snp', 'report-data-mismatch');
  });

  test('a TDX guest (provider tdx_guest) sends the recorded TDX quote as it is, and the master refuses it with tcb-mismatch, the first check this real sample fails', async () => {
    const img = testImage(root, pin, 'tdx', tools);
    const { work, env } = workDir(img, 'tdx');
    await refusedRun(img, work, env, 'tdx', 'tcb-mismatch');
  });

  test('a concurrent writer on the configfs-tsm entry (generation moved by two) makes the provisioner refuse the report: no evidence is sent, and the run says the worker exited', async () => {
    const img = testImage(root, pin, 'sev-snp', tools, { concurrentWriter: true });
    const { work, env } = workDir(img, 'sev-snp');
    const r = await run(work, env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /worker vms-1 \(deployment vms, connector local, platform cvm\)/);
    assert.equal(attestation(work), undefined, 'the master never judged any evidence');
    const boot = tools.calls().filter((c) => c.tool === 'qemu-system-x86_64').at(-1);
    assert.equal(boot?.exit, 3, 'the provisioner refused inside the guest');
    assert.match(boot?.console ?? '', /sealflow provisioner: no-evidence: configfs-tsm evidence failed: configfs-tsm entry \S+ generation went from 0 to 2, so another writer used it; the report is not ours/);
  });

  test('on a machine without /dev/kvm, /dev/sev or TDX the start-time error names what is missing, in one sentence', async () => {
    const img = testImage(root, pin, 'sev-snp', tools);
    const { work, env } = workDir(img, 'sev-snp');
    const r = await run(work, { ...env, SEALFLOW_DEVICE_ROOT: path.join(work, 'no-devices') });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /platform cvm cannot start workers here: it needs a hypervisor host with KVM and SEV-SNP or TDX, and QEMU with confidential-guest support, booting the measured image of sealflow tee plan --platform cvm \(this machine lacks \/dev\/kvm, \/dev\/sev \(SEV-SNP\) or TDX enabled in kvm_intel\)/);
  });

  test('a cvm deployment without a policy, or with an image path that is not absolute, is refused at start naming the deployment and the key', async () => {
    const img = testImage(root, pin, 'sev-snp', tools);
    const { work, env } = workDir(img, 'sev-snp');
    const yaml = fs.readFileSync(path.join(work, 'sealflow.yaml'), 'utf8');
    fs.writeFileSync(path.join(work, 'sealflow.yaml'), yaml.replace(/policy: "[^"]*", /, ''));
    const r = await run(work, env);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /deployment vms: platform cvm needs a policy: file listing the VM's launch measurement/);
    fs.writeFileSync(path.join(work, 'sealflow.yaml'), yaml.replace(`kernel: ${JSON.stringify(img.kernel)}`, 'kernel: "vmlinuz"'));
    const r2 = await run(work, env);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /deployment vms: image\.kernel: "vmlinuz" is not an absolute path on the hypervisor host/);
  });
});

describe('platform cvm through sealflow run on an ssh namespace host (stand-in qemu)', { skip: hostsMissing() }, () => {
  let hosts: Hosts;
  let made: { work: string; env: NodeJS.ProcessEnv };
  let img: TestImage;
  before(async () => {
    img = testImage(root, pin, 'sev-snp', tools);
    made = workDir(img, 'sev-snp', 'connector: ssh');
    // The master needs no KVM or SEV device for a remote host's VM (it builds nothing); the host's start-time
    // probe looks for them under SEALFLOW_DEVICE_ROOT, so they lie outside every hidden directory.
    const devices = fs.mkdtempSync(path.join(root, 'host-devices-'));
    fs.mkdirSync(path.join(devices, 'dev'));
    for (const d of ['kvm', 'sev']) fs.writeFileSync(path.join(devices, 'dev', d), '');
    made = { ...made, env: { ...made.env, SEALFLOW_DEVICE_ROOT: devices } };
    hosts = await startHosts(1, { hide: [made.work, home] });
    const h = hosts.hosts[0];
    assert.ok(h);
    bindSshDeployment(path.join(made.work, 'sealflow.yaml'), h);
  });
  after(async () => {
    await hosts?.stopAll();
  });

  test('the host boots the VM with the bundle it was sent as a fw_cfg file, and the recorded Genoa report is refused with report-data-mismatch', async () => {
    await refusedRun(img, made.work, made.env, 'sev-snp', 'report-data-mismatch');
  });
});

