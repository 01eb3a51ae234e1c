/**
 * A platform's whole launch path on a machine without SGX: the owner builds
 * and signs with stand-in toolchain executables first on PATH (standins.ts),
 * the local connector runs the platform's launch command in a hostile
 * environment, the stand-in `gramine-sgx` runs what the signed manifest fixes,
 * the real provisioner reads a fake /dev/attestation holding a recorded real
 * SGX quote and sends it, and the master refuses it with
 * `report-data-mismatch` — the correct end of such a run: the quote is
 * authentic and its MRENCLAVE allowed, but it does not bind this worker's keys.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyEvidence } from '../../src/attestation/index.js';
import { policyAllowing } from '../../src/attestation/policy.js';
import { localConnector } from '../../src/connectors/local/index.js';
import { gramineLaunchPlan, graminePlatform, MANIFEST_NAME } from '../../src/tee/gramine/index.js';
import { measuredBinary } from '../../src/tee/ldd.js';
import { nonePlatform } from '../../src/tee/none/index.js';
import { provisionerBundle } from '../../src/tee/provisioner-bundle.js';
import { launchConfigText } from '../../src/tee/sim/measure.js';
import { expectSlot, setup, type Harness } from '../wcpac/harness.js';
import { sgxV3Dcap } from '../attestation/intel-fixtures.js';
import { fakeGramineDir, removeFakeDevices } from './fake-devices.js';
import { alignStep, HOSTILE_ARGS, HOSTILE_ENV } from './fixtures.js';
import { attestationOf, hostileNodeEnv, launchLocal } from './launch-harness.js';
import { standIns } from './standins.js';

const sample = sgxV3Dcap();
const tools = standIns();
const work = mkdtempSync(path.join(os.tmpdir(), 'sealflow-tee-launch-'));
const { env: hostileEnv, marker } = hostileNodeEnv(work);

let h: Harness;
after(async () => {
  await h?.close();
  if (h) rmSync(h.dir, { recursive: true, force: true });
  removeFakeDevices();
  rmSync(work, { recursive: true, force: true });
  rmSync(tools.bin, { recursive: true, force: true });
});

/** Owner side: plan, then build and sign with the stand-ins; returns the files the host receives. */
function ownerBuild(pin: string, attestationDir: string): { files: Record<string, string>; installDir: string } {
  const installDir = path.join(work, 'opt-sealflow');
  const build = path.join(work, 'build');
  mkdirSync(installDir, { recursive: true });
  mkdirSync(build, { recursive: true });
  const launchConfig = launchConfigText(pin, { kind: 'gramine', root: attestationDir });
  const plan = gramineLaunchPlan({ step: alignStep(2, { memory: 2 ** 30 }), inputBytes: 2 ** 20, node: measuredBinary(process.execPath), tools: [], installDir, launchConfig, signingKey: path.join(work, 'owner-key.pem') });
  for (const [name, text] of Object.entries(plan.files)) writeFileSync(path.join(build, name), text);
  writeFileSync(path.join(installDir, 'launch.json'), launchConfig);
  copyFileSync(provisionerBundle().path, path.join(installDir, 'provisioner.mjs'));
  for (const cmd of plan.build.slice(0, 2)) execFileSync('sh', ['-c', cmd], { cwd: build, env: { PATH: `${tools.bin}:/usr/bin:/bin` } });
  return { files: { [`${MANIFEST_NAME}.manifest.sgx`]: path.join(build, `${MANIFEST_NAME}.manifest.sgx`), [`${MANIFEST_NAME}.sig`]: path.join(build, `${MANIFEST_NAME}.sig`) }, installDir };
}

const launchGramine = (slot: string, files: Record<string, string>, installDir: string, env: Record<string, string>, args?: readonly string[]) =>
  launchLocal(h, { slot, deployment: 'enclaves', platform: graminePlatform, entry: path.join(installDir, 'provisioner.mjs'), files, env, tools, work, ...(args ? { args: () => args } : {}) });

describe('platform gramine, launched through the local connector with stand-in toolchain executables', () => {
  test('the provisioner sends the recorded SGX quote from /dev/attestation and the master refuses it with report-data-mismatch', async () => {
    const claims = await verifyEvidence(sample.evidence, sample.collateral, undefined, { now: sample.now });
    h = await setup({ policy: () => policyAllowing(claims), collateral: sample.collateral, verifyAt: () => sample.now });
    const attestation = fakeGramineDir(sample.evidence);
    const { files, installDir } = ownerBuild(h.master.pin, attestation);
    const signs = tools.calls().filter((c) => c.tool === 'gramine-sgx-sign');
    assert.equal(signs.length, 1);
    assert.deepEqual(signs[0]?.args, ['--manifest', `${MANIFEST_NAME}.manifest`, '--output', `${MANIFEST_NAME}.manifest.sgx`, '--key', path.join(work, 'owner-key.pem')]);

    expectSlot(h, 'enclaves-1', 'gramine', 'local');
    const exit = await launchGramine('enclaves-1', files, installDir, {});
    assert.equal(exit.code, 3, 'the provisioner exits 3: refused');
    const refusal = attestationOf(h, 'enclaves-1');
    assert.equal(refusal?.decision, 'refused');
    assert.equal(refusal?.reason, 'report-data-mismatch', JSON.stringify(refusal));
    assert.equal(refusal?.recorded, true, 'judged at the recorded time: journalled as recorded evidence');
    const run = tools.calls().find((c) => c.tool === 'gramine-sgx');
    assert.deepEqual(run?.args, [MANIFEST_NAME]);
    assert.deepEqual(run?.payload?.argv, [process.execPath, path.join(installDir, 'provisioner.mjs'), path.join(installDir, 'launch.json')]);
    assert.equal(existsSync(path.join(attestation, 'user_report_data')), true);
  });

  test('a hostile environment and hostile arguments change nothing the enclave runs, and the run ends the same way', async () => {
    const attestation = fakeGramineDir(sample.evidence);
    const { files, installDir } = ownerBuild(h.master.pin, attestation);
    expectSlot(h, 'enclaves-2', 'gramine', 'local');
    const { host, port } = h.broker.address;
    const before = tools.calls().filter((c) => c.tool === 'gramine-sgx').length;
    const exit = await launchGramine('enclaves-2', files, installDir, hostileEnv, [`${host}:${port}`, 'enclaves-2', path.join(work, 'no-such.bundle'), ...HOSTILE_ARGS]);
    assert.equal(exit.code, 3);
    assert.equal(attestationOf(h, 'enclaves-2')?.reason, 'report-data-mismatch');
    const runs = tools.calls().filter((c) => c.tool === 'gramine-sgx');
    assert.equal(runs.length, before + 1);
    const [benign, hostile] = [runs[0], runs.at(-1)];
    assert.deepEqual(hostile?.payload, benign?.payload, 'the same entrypoint, argv and environment');
    for (const k of Object.keys(HOSTILE_ENV)) assert.ok(!hostile?.envNames.includes(k), `${k} reached gramine-sgx`);
    assert.equal(existsSync(marker), false, 'NODE_OPTIONS never loaded anything');
  });
});

describe('platform none, launched through the local connector', () => {
  test('a hostile environment and hostile arguments never become node options', async () => {
    const probe = path.join(work, 'probe.cjs');
    const out = path.join(work, 'probe.json');
    writeFileSync(probe, `require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ execArgv: process.execArgv, argv: process.argv.slice(2), env: Object.keys(process.env).sort() }));\n`);
    const w = await localConnector.launch({ runId: 'r', slot: 'plain-1', deployment: 'plain', options: {}, platform: nonePlatform, program: { entry: probe, files: {}, args: () => HOSTILE_ARGS }, env: { PATH: '/usr/bin:/bin', ...hostileEnv }, localBase: work });
    assert.equal((await w.exited).code, 0);
    const seen = JSON.parse((await import('node:fs')).readFileSync(out, 'utf8')) as { execArgv: string[]; argv: string[]; env: string[] };
    assert.deepEqual(seen.execArgv, []);
    assert.deepEqual(seen.argv, [...HOSTILE_ARGS], 'they arrive as the program\'s own arguments');
    for (const k of Object.keys(HOSTILE_ENV)) assert.ok(!seen.env.includes(k), `${k} reached the program`);
    assert.equal(existsSync(marker), false);
  });
});
