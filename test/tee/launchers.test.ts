/**
 * DESIGN.md "What the measurement covers" and docs/protocol.md §3: the
 * hardware launchers are tested by what they generate (no SGX/SNP/TDX here).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { LaunchSpec, TeePlatform } from '../../src/tee/platform.js';
import { graminePlatform, gramineManifest, PASSTHROUGH_ENV } from '../../src/tee/gramine/index.js';
import { occlumJson, occlumPlatform, ENTRY, LAUNCH_CONFIG } from '../../src/tee/occlum/index.js';
import { cvmPlatform, cvmRequirements } from '../../src/tee/cvm/index.js';
import { launchConfigText, referenceSimMeasurement, simMeasurement, SIM_EVIDENCE } from '../../src/tee/sim/measure.js';
import { provisionerBundle } from '../../src/tee/provisioner-bundle.js';

const PROVISIONER_PATH = provisionerBundle().path;

const SPEC: LaunchSpec = { program: '/opt/sealflow/provisioner.js', args: ['master.example:7443', 'sgx-1', '/work/sgx-1/executor.bundle'], env: { PATH: '/usr/bin' }, workDir: '/work/sgx-1' };

/** The contract every hardware launcher meets: unmeasured values only through the environment, never argv. */
function hardwareLauncherContract(p: TeePlatform): void {
  test(`${p.name}: is a TEE, satisfies tee: none and any, and never puts the unmeasured values in argv`, () => {
    assert.equal(p.isTee, true);
    assert.ok(p.satisfies('none', { allowSimulation: false }) && p.satisfies('any', { allowSimulation: false }));
    const cmd = p.launch(SPEC);
    const argv = cmd.args.join(' ');
    if (p.name !== 'cvm') for (const v of SPEC.args) assert.ok(!argv.includes(v), `${v} is not an argument`);
  });
}

describe('TEE launchers', () => {
  for (const p of [graminePlatform, occlumPlatform, cvmPlatform]) hardwareLauncherContract(p);

  test('gramine: the manifest fixes loader.argv, trusts node, the provisioner and launch.json, and passes only the unmeasured values', () => {
    const m = gramineManifest({ node: '/usr/bin/node', libDirs: ['/lib/x86_64-linux-gnu'], installDir: '/opt/sealflow', bundlePath: '/work/executor.bundle', enclaveSize: '8G', maxThreads: 64 });
    assert.match(m, /^loader\.argv = \["\/usr\/bin\/node", "\/opt\/sealflow\/provisioner\.js", "\/opt\/sealflow\/launch\.json"\]$/m);
    assert.doesNotMatch(m, /insecure__use_cmdline_argv|insecure__use_host_env/);
    assert.match(m, /^loader\.env\.NODE_OPTIONS = ""$/m);
    for (const v of PASSTHROUGH_ENV) assert.match(m, new RegExp(`^loader\\.env\\.${v} = \\{ passthrough = true \\}$`, 'm'));
    for (const f of ['file:/usr/bin/node', 'file:/opt/sealflow/provisioner.js', 'file:/opt/sealflow/launch.json']) assert.ok(m.includes(`  "${f}",`), `${f} is trusted`);
    assert.match(m, /^sgx\.debug = false$/m);
    assert.match(m, /^sgx\.remote_attestation = "dcap"$/m);
    assert.match(m, /^sgx\.allowed_files = \["file:\/work\/executor\.bundle"\]$/m);
    assert.match(m, /\{ path = "\/scratch", type = "tmpfs" \}/);
    const cmd = graminePlatform.launch(SPEC);
    assert.deepEqual([cmd.command, ...cmd.args], ['gramine-sgx', 'sealflow-provisioner']);
    assert.equal(cmd.env['SEALFLOW_SLOT'], 'sgx-1');
  });

  test('occlum: Occlum.json is not debuggable, fixes NODE_OPTIONS and trusts only the unmeasured values from the host', () => {
    const j = occlumJson({ userSpaceSize: '8GB', maxThreads: 64, productId: 1, versionNumber: 1 }) as { metadata: { debuggable: boolean }; env: { default: string[]; untrusted: string[] }; entry_points: string[] };
    assert.equal(j.metadata.debuggable, false);
    assert.ok(j.env.default.includes('NODE_OPTIONS='));
    assert.deepEqual(j.env.untrusted, ['SEALFLOW_MASTER_ADDRESS', 'SEALFLOW_SLOT', 'SEALFLOW_BUNDLE', 'SEALFLOW_TICKET']);
    const cmd = occlumPlatform.launch(SPEC);
    assert.deepEqual([cmd.command, ...cmd.args], ['occlum', 'run', ENTRY, LAUNCH_CONFIG]);
  });

  test('cvm: the requirements bind launch.json into HOST_DATA / MRCONFIGID and the unit runs the provisioner from the measured image', () => {
    const text = launchConfigText('a'.repeat(64), { kind: 'configfs-tsm' });
    const r = cvmRequirements(text);
    assert.equal(r.snpHostData.length, 64);
    assert.equal(r.tdxMrConfigId.length, 96);
    assert.ok(r.tdxMrConfigId.startsWith(r.snpHostData));
    assert.match(r.unit, /^ExecStart=\/usr\/bin\/node \/opt\/sealflow\/provisioner\.js \/opt\/sealflow\/launch\.json$/m);
    assert.ok(r.checklist.some((c) => /measured direct boot/.test(c)));
    const cmd = cvmPlatform.launch(SPEC);
    assert.match(cmd.args.join(' '), /systemctl start sealflow-provisioner\.service/);
  });

  test('sim: the reference measurement is that of the shipped provisioner and canonical launch configuration, and changes with one byte', () => {
    const pin = 'b'.repeat(64);
    const prov = readFileSync(PROVISIONER_PATH);
    const conf = Buffer.from(launchConfigText(pin, SIM_EVIDENCE));
    assert.equal(referenceSimMeasurement(pin), simMeasurement(prov, conf).toString('hex'));
    assert.notEqual(simMeasurement(Buffer.concat([prov, Buffer.from(' ')]), conf).toString('hex'), referenceSimMeasurement(pin));
    assert.notEqual(referenceSimMeasurement('c'.repeat(64)), referenceSimMeasurement(pin), 'the pin is measured');
  });
});
