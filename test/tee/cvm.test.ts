import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cvmPlatform, cvmLaunchPlan, cvmPlatformFor, GUEST_MASTER, qemuArgs, type CvmVm } from '../../src/tee/cvm/index.js';
import { FW_CFG_BUNDLE, FW_CFG_UNMEASURED, parseLaunchConfig } from '../../src/protocol/launch-config.js';
import { main as provisionerMain } from '../../src/worker/provisioner/provisioner.js';
import { readFwCfgUnmeasured } from '../../src/worker/provisioner/unmeasured.js';
import { cvmVmOptions } from '../../src/master/cvm-vm.js';
import { attestedDeployment } from '../../src/master/start.js';
import { runPlatformContract } from './contract.js';
import { BENIGN, HOSTILE, HOSTILE_ARGS, PIN } from './fixtures.js';
import { CpioError, extractNewc, readNewc, writeNewc } from './cpio.js';
import { standIns } from './standins.js';

runPlatformContract({ platform: cvmPlatform, satisfies: ['none', 'any', 'sev-snp', 'tdx'], command: 'qemu-system-x86_64', plan: cvmLaunchPlan, files: ['sealflow-provisioner.service', 'initrd.txt', 'cmdline.txt', 'launch.json'] });

const work = mkdtempSync(path.join(os.tmpdir(), 'sealflow-cvm-unit-'));
const tools = standIns();
after(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(tools.bin, { recursive: true, force: true });
});

const VM: CvmVm = { guest: 'sev-snp', kernel: '/img/vmlinuz', initrd: '/img/initrd.img', firmware: '/img/OVMF,amd.fd', vcpus: 4, memoryMiB: 3072, launchSha256: 'ab'.repeat(32) };
const TICKET = 'T'.repeat(43);

describe('platform cvm: the VM the launch boots (qemu.ts)', () => {
  test('an SNP guest is a confidential guest with kernel hashes and HOST_DATA, booted directly from the image with fw_cfg values and forwarded master ports', () => {
    const a = qemuArgs(VM, { unmeasured: 'unmeasured.json', bundle: '/w/s,1/executor.bundle' }, ['127.0.0.1:7443', '127.0.0.1:7444', '--inspect=0.0.0.0:9229']);
    const at = (o: string) => a[a.indexOf(o) + 1];
    assert.equal(at('-machine'), 'q35,confidential-guest-support=cvm0');
    assert.equal(at('-object'), `sev-snp-guest,id=cvm0,cbitpos=51,reduced-phys-bits=1,kernel-hashes=on,host-data=${Buffer.from('ab'.repeat(32), 'hex').toString('base64')}`);
    assert.deepEqual([at('-kernel'), at('-initrd'), at('-bios'), at('-smp'), at('-m')], ['/img/vmlinuz', '/img/initrd.img', '/img/OVMF,amd.fd', '4', '3072M']);
    assert.match(at('-append') ?? '', /^console=ttyS0 rdinit=\/sbin\/init .*systemd\.mask=sshd\.service/);
    assert.deepEqual(a.filter((_, i) => a[i - 1] === '-fw_cfg'), [`name=${FW_CFG_UNMEASURED},file=unmeasured.json`, `name=${FW_CFG_BUNDLE},file=/w/s,,1/executor.bundle`], 'a comma in a path is doubled, so it cannot add an option');
    assert.equal(at('-netdev'), `user,id=net0,restrict=on,guestfwd=tcp:${GUEST_MASTER}:7443-tcp:127.0.0.1:7443,guestfwd=tcp:${GUEST_MASTER}:7444-tcp:127.0.0.1:7444`, 'only host:port addresses are forwarded');
  });

  test('a TDX guest gets MRCONFIGID = SHA-256 of launch.json zero-padded to 48 bytes', () => {
    const a = qemuArgs({ ...VM, guest: 'tdx' }, { unmeasured: 'u', bundle: 'b' }, []);
    assert.equal(a[a.indexOf('-object') + 1], `tdx-guest,id=cvm0,mrconfigid=${Buffer.concat([Buffer.from('ab'.repeat(32), 'hex'), Buffer.alloc(16)]).toString('base64')}`);
  });

  test('the guest is told the master at the forwarded address and the bundle as its fw_cfg item, whatever path the host has; the image paths are the only host paths', () => {
    const c = cvmPlatformFor(VM).launch({ ...BENIGN, env: { ...BENIGN.env, SEALFLOW_TICKET: TICKET } });
    assert.equal(c.args[1], 'printf %s "$1" > unmeasured.json && shift && exec qemu-system-x86_64 "$@"');
    assert.deepEqual(JSON.parse(c.args[3] ?? ''), { version: 1, master: `${GUEST_MASTER}:7443`, slot: 'w-1', bundle: FW_CFG_BUNDLE, ticket: TICKET });
    assert.deepEqual(c.hostPaths, ['/img/vmlinuz', '/img/initrd.img', '/img/OVMF,amd.fd']);
    const bad = cvmPlatformFor(VM).launch(HOSTILE);
    for (const h of HOSTILE_ARGS) assert.ok(!bad.args.slice(4).includes(h), `${h} became a qemu argument`);
  });

  test('the plan writes launch.json reading its values from fw_cfg, and the unit powers the VM off when the provisioner ends, reads no environment file and runs no login', () => {
    const plan = cvmPlatformPlan();
    assert.deepEqual(parseLaunchConfig(plan.files['launch.json'] ?? '').unmeasured, { kind: 'fw_cfg' });
    const unit = plan.files['sealflow-provisioner.service'] ?? '';
    assert.match(unit, /^SuccessAction=poweroff-force$/m);
    assert.match(unit, /^FailureAction=poweroff-force$/m);
    assert.doesNotMatch(unit, /EnvironmentFile|PassEnvironment/);
    assert.match(plan.run.at(-1) ?? '', /^qemu-system-x86_64 -enable-kvm -machine q35,confidential-guest-support=cvm0 /);
  });

  test('a deployment\'s VM takes its steps\' threads and memory, and bad image, guest and vcpus values are refused naming the key', () => {
    assert.deepEqual(cvmVmOptions('vms', {}, { threads: 8, memory: 6 * 2 ** 30 }), { guest: 'sev-snp', kernel: '/var/lib/sealflow/cvm/vmlinuz', initrd: '/var/lib/sealflow/cvm/initrd.img', firmware: '/var/lib/sealflow/cvm/OVMF.fd', vcpus: 8, memoryMiB: 7168 });
    assert.equal(cvmVmOptions('vms', { vcpus: 2 }, { threads: 8 }).vcpus, 2);
    assert.throws(() => cvmVmOptions('vms', { image: { kernel: 'rel' } }), /deployment vms: image\.kernel: "rel" is not an absolute path on the hypervisor host/);
    assert.throws(() => cvmVmOptions('vms', { image: { kernal: '/k' } }), /deployment vms: image: unknown key kernal; an image is \{ kernel, initrd, firmware \}/);
    assert.throws(() => cvmVmOptions('vms', { guest: 'sev' }), /deployment vms: guest: "sev" is not sev-snp or tdx/);
    assert.throws(() => cvmVmOptions('vms', { vcpus: 0 }), /deployment vms: vcpus: 0 is not an integer from 1 to 512/);
  });

  test('a cvm deployment on a connector that cannot boot its VMs yet (slurm) is refused at start, saying which connectors can', () => {
    assert.throws(() => attestedDeployment({ id: 'vms', connector: 'slurm', platform: 'cvm', options: {} }), /deployment vms: platform cvm boots its VMs through the local and ssh connectors in this version, not slurm/);
  });
});

function cvmPlatformPlan() {
  return cvmLaunchPlan({ step: { id: 'count', run: { kind: 'command', argv: ['wc'], shell: false, outputs: {}, env: {} }, inputs: [], outputs: [], scatter: [], requirements: { threads: 2, tee: 'sev-snp' }, retries: 0, loc: { file: 'f', line: 1, column: 1 } }, inputBytes: 0, node: { path: '/usr/bin/node', libs: [] }, tools: [], installDir: '/opt/sealflow', launchConfig: `{"version":1,"pin":"${PIN}","evidence":{"kind":"configfs-tsm"}}\n`, signingKey: '' });
}

/** A fw_cfg root holding `unmeasured` as the guest kernel shows it. */
function fwCfg(unmeasured: string | Buffer): string {
  const root = mkdtempSync(path.join(work, 'fw_cfg-'));
  mkdirSync(path.join(root, FW_CFG_UNMEASURED), { recursive: true });
  writeFileSync(path.join(root, FW_CFG_UNMEASURED, 'raw'), unmeasured);
  return root;
}
const values = (o: Record<string, unknown> = {}) => JSON.stringify({ version: 1, master: `${GUEST_MASTER}:7443`, slot: 'vms-1', bundle: FW_CFG_BUNDLE, ticket: TICKET, ...o });

describe('platform cvm: the unmeasured values from fw_cfg, as the provisioner reads them', () => {
  test('reads the values and takes the bundle from its own fw_cfg item', async () => {
    const root = fwCfg(values());
    assert.deepEqual(await readFwCfgUnmeasured(root), { host: GUEST_MASTER, port: 7443, slot: 'vms-1', bundle: path.join(root, FW_CFG_BUNDLE, 'raw'), ticket: TICKET });
  });

  test('a forged value is refused with what is wrong: an oversized item, another bundle path, not JSON, a bad master, a missing item', async () => {
    await assert.rejects(readFwCfgUnmeasured(fwCfg(Buffer.alloc(64 * 1024, 0x20))), /^Error: fw_cfg opt\/org\.sealflow\/unmeasured\.json is longer than 4096 bytes$/);
    await assert.rejects(readFwCfgUnmeasured(fwCfg(values({ bundle: '/etc/shadow' }))), /fw_cfg opt\/org\.sealflow\/unmeasured\.json: bundle must be the fw_cfg item opt\/org\.sealflow\/executor\.bundle, not "\/etc\/shadow"/);
    await assert.rejects(readFwCfgUnmeasured(fwCfg('{"version":1,')), /fw_cfg opt\/org\.sealflow\/unmeasured\.json: it is not JSON/);
    await assert.rejects(readFwCfgUnmeasured(fwCfg(values({ master: '--inspect' }))), /fw_cfg opt\/org\.sealflow\/unmeasured\.json: master must be host:port/);
    await assert.rejects(readFwCfgUnmeasured(path.join(work, 'none')), /fw_cfg opt\/org\.sealflow\/unmeasured\.json cannot be read at .* \(ENOENT\): the VM must be started with -fw_cfg name=opt\/org\.sealflow\/unmeasured\.json,file=… and a kernel with CONFIG_FW_CFG_SYSFS/);
  });

  test('the provisioner exits 2 on a forged fw_cfg value, before it connects anywhere', async () => {
    const launch = path.join(work, 'launch.json');
    writeFileSync(launch, JSON.stringify({ version: 1, pin: PIN, evidence: { kind: 'configfs-tsm' }, unmeasured: { kind: 'fw_cfg', root: fwCfg(values({ bundle: 'executor.bundle' })) } }));
    const write = process.stderr.write.bind(process.stderr);
    let err = '';
    process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
    try {
      assert.equal(await provisionerMain([launch]), 2);
    } finally {
      process.stderr.write = write;
    }
    assert.match(err, /^sealflow provisioner: unmeasured-values: fw_cfg opt\/org\.sealflow\/unmeasured\.json: bundle must be the fw_cfg item/);
  });
});

describe('the stand-in qemu-system-x86_64 and its initrd format', () => {
  test('refuses a command line without a confidential guest or measured direct boot, saying which', () => {
    const good = qemuArgs(VM, { unmeasured: 'u', bundle: 'b' }, []);
    const q = (args: string[]) => spawnSync(path.join(tools.bin, 'qemu-system-x86_64'), args, { encoding: 'utf8' });
    assert.match(q(good.map((a) => a.replace(',confidential-guest-support=cvm0', ''))).stderr, /-machine has no confidential-guest-support/);
    assert.match(q(good.map((a) => a.replace('kernel-hashes=on', 'kernel-hashes=off'))).stderr, /sev-snp-guest without kernel-hashes=on: the kernel, initrd and command line would not be measured/);
    assert.match(q(good).stderr, /measured direct boot needs -bios \/img\/OVMF,amd\.fd, which does not exist/);
    assert.equal(q(good).status, 1);
  });

  test('a newc archive round-trips files, directories and symlinks, and names outside the archive or truncated data are refused', () => {
    const entries = [{ name: 'a', type: 'dir' as const, data: Buffer.alloc(0), mode: 0o755 }, { name: 'a/b.txt', type: 'file' as const, data: Buffer.from('hello'), mode: 0o600 }, { name: 'a/l', type: 'symlink' as const, data: Buffer.from('b.txt'), mode: 0o777 }];
    assert.deepEqual(readNewc(writeNewc(entries)), entries);
    for (const name of ['../x', '/etc/passwd', 'a//b']) assert.throws(() => readNewc(writeNewc([{ name, type: 'file', data: Buffer.from('x'), mode: 0o644 }])), CpioError, name);
    const whole = writeNewc(entries);
    assert.throws(() => readNewc(whole.subarray(0, whole.length - 20)), /runs past the end|truncated header/);
    const dir = mkdtempSync(path.join(work, 'x-'));
    symlinkSync(os.tmpdir(), path.join(dir, 'out'));
    assert.throws(() => extractNewc([{ name: 'out/evil', type: 'file', data: Buffer.from('x'), mode: 0o644 }], dir), /would be written outside the archive's directory/);
  });
});
