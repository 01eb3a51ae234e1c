/**
 * The ssh connector's mapping of a platform's launch command onto the host
 * (docs/connectors/ssh.md): `node` commands as before; a platform's own
 * launcher (gramine's `sh -c … gramine-sgx`) only by a name on the host's
 * PATH, the master's worker directory inside its arguments rewritten to the
 * slot directory, and nothing else of the master's disk named.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { remoteArgv } from '../../src/connectors/ssh/connector.js';
import { graminePlatform } from '../../src/tee/gramine/index.js';

const local = '/tmp/sf-w-abc';
const slotDir = '/root/.sealflow-worker/0123/4567';
const run = { host: { label: 'sgx-node:22' }, dir: { path: '/root/.sealflow-worker/0123' }, options: { nodePath: 'node' } };
const req = { slot: 'enclaves-1', deployment: 'enclaves', platform: graminePlatform, program: { entry: '/opt/master/provisioner.mjs', files: {}, args: () => [] } };
const launch = graminePlatform.launch({ program: req.program.entry, args: ['127.0.0.1:4000', 'enclaves-1', `${local}/executor.bundle`], env: { PATH: '/usr/bin:/bin', SEALFLOW_TICKET: 'T'.repeat(43) }, workDir: local });

describe('ssh connector: a platform launcher on the host', () => {
  test('gramine\'s launcher runs by name and the bundle path in its unmeasured values becomes the slot directory\'s', () => {
    const argv = remoteArgv(req, local, run, launch.command, launch.args, slotDir);
    assert.equal(argv[0], 'sh');
    assert.match(argv[2] ?? '', /exec gramine-sgx sealflow-provisioner$/);
    const values = JSON.parse(argv[4] ?? '') as { bundle: string };
    assert.equal(values.bundle, `${slotDir}/executor.bundle`);
    assert.ok(!argv.join(' ').includes(local), 'no path of the master\'s worker directory reaches the host');
  });

  test('a launcher given as a path of the master\'s machine is refused, naming the worker, deployment and host', () => {
    assert.throws(() => remoteArgv(req, local, run, '/usr/bin/gramine-sgx', ['x'], slotDir), /worker enclaves-1 \(deployment "enclaves": host sgx-node:22\): platform gramine starts \/usr\/bin\/gramine-sgx, a path on this machine; the ssh connector runs only programs named by the host's PATH/);
  });

  test('an argument naming another file of the master\'s disk is refused', () => {
    assert.throws(() => remoteArgv(req, local, run, 'sh', ['-c', 'true', '/etc/shadow'], slotDir), /argument \/etc\/shadow names a file the connector did not upload/);
    assert.throws(() => remoteArgv(req, local, run, 'sh', [`${local}/../../etc/passwd`], slotDir), /names a file the connector did not upload/);
  });
});

describe('ssh connector: a cvm VM on the hypervisor host', () => {
  test('the image paths the platform names on the host pass as they are, the bundle\'s fw_cfg file becomes the slot directory\'s, and any other absolute path is still refused', async () => {
    const { cvmPlatformFor } = await import('../../src/tee/cvm/index.js');
    const vm = cvmPlatformFor({ guest: 'sev-snp', kernel: '/var/lib/sealflow/cvm/vmlinuz', initrd: '/var/lib/sealflow/cvm/initrd.img', firmware: '/usr/share/ovmf/OVMF.fd', vcpus: 1, memoryMiB: 2048, launchSha256: '0'.repeat(64) });
    const c = vm.launch({ program: req.program.entry, args: ['127.0.0.1:4000', 'vms-1', `${local}/executor.bundle`, '127.0.0.1:4001'], env: { PATH: '/usr/bin:/bin', SEALFLOW_TICKET: 'T'.repeat(43) }, workDir: local });
    const argv = remoteArgv({ ...req, platform: vm }, local, run, c.command, c.args, slotDir, c.hostPaths);
    assert.ok(argv.includes('/var/lib/sealflow/cvm/initrd.img') && argv.includes('/usr/share/ovmf/OVMF.fd'));
    assert.ok(argv.includes(`name=opt/org.sealflow/executor.bundle,file=${slotDir}/executor.bundle`));
    assert.ok(!argv.join(' ').includes(local), 'no path of the master\'s worker directory reaches the host');
    assert.throws(() => remoteArgv({ ...req, platform: vm }, local, run, c.command, [...c.args, '/etc/shadow'], slotDir, c.hostPaths), /argument \/etc\/shadow names a file the connector did not upload/);
  });
});
