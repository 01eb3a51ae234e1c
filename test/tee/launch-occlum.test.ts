/**
 * Platform occlum's whole launch path on a machine without SGX: the owner
 * builds the image with the generated files (the real esbuild; stand-in
 * `occlum` and `copy_bom`; the Node single-executable step emulated by a
 * `#!node` script of the same bundled entry), the local connector runs the
 * launch command in a hostile environment, the stand-in `occlum run` runs the
 * image's entry chrooted into the image with exactly `env.default`, the
 * entry ignores the host's arguments and reads the image's launch.json, the
 * provisioner writes its report data to /dev/attestation_report_data and
 * sends the recorded SGX quote from /dev/attestation_quote, and the master
 * refuses it with `report-data-mismatch`.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyEvidence } from '../../src/attestation/index.js';
import { policyAllowing } from '../../src/attestation/policy.js';
import { localConnector } from '../../src/connectors/local/index.js';
import { occlumLaunchPlan, occlumPlatform } from '../../src/tee/occlum/index.js';
import { measuredBinary } from '../../src/tee/ldd.js';
import { provisionerBundle } from '../../src/tee/provisioner-bundle.js';
import { launchConfigText } from '../../src/tee/sim/measure.js';
import type { BrokerDecision } from '../../src/master/broker/types.js';
import { REPO } from '../helpers/cli.js';
import { expectSlot, setup, type Harness } from '../wcpac/harness.js';
import { sgxV3Dcap } from '../attestation/intel-fixtures.js';
import { alignStep, HOSTILE_ARGS, HOSTILE_ENV } from './fixtures.js';
import { standIns } from './standins.js';

const sample = sgxV3Dcap();
const tools = standIns();
const work = mkdtempSync(path.join(os.tmpdir(), 'sealflow-occlum-launch-'));
const marker = path.join(work, 'evil-ran');
const evil = path.join(work, 'evil.cjs');
writeFileSync(evil, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'loaded');\n`);
type Attestation = Extract<BrokerDecision, { type: 'attestation' }>;
const attestation1 = (ds: readonly BrokerDecision[], slot: string): Attestation | undefined => ds.find((d): d is Attestation => d.type === 'attestation' && d.slot === slot);

let h: Harness;
after(async () => {
  await h?.close();
  if (h) rmSync(h.dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  rmSync(tools.bin, { recursive: true, force: true });
});

/** The owner's build, as plan.build says, with the single-executable step emulated; returns the instance directory. */
function ownerBuild(pin: string): string {
  const build = path.join(work, 'build');
  mkdirSync(build, { recursive: true });
  const plan = occlumLaunchPlan({ step: alignStep(2, { memory: 2 ** 30 }), inputBytes: 2 ** 20, node: measuredBinary(process.execPath), tools: [], installDir: '/opt/sealflow', launchConfig: launchConfigText(pin, { kind: 'occlum' }), signingKey: path.join(work, 'owner-key.pem'), overrides: { edmm: true } });
  for (const [name, text] of Object.entries(plan.files)) writeFileSync(path.join(build, name), text);
  copyFileSync(provisionerBundle().path, path.join(build, 'provisioner.mjs'));
  const env = { PATH: `${tools.bin}:${path.join(REPO, 'node_modules', '.bin')}:/usr/bin:/bin` };
  for (const cmd of plan.build) {
    if (/experimental-sea-config/.test(cmd)) continue;
    if (/postject/.test(cmd)) {
      // A Node single-executable application runs its embedded main with node's built-ins: a #! script of the same bundle does too.
      writeFileSync(path.join(build, 'sealflow-provisioner'), `#!${process.execPath}\n${readFileSync(path.join(build, 'sealflow-provisioner.cjs'), 'utf8')}`, { mode: 0o755 });
      continue;
    }
    execFileSync('sh', ['-c', cmd], { cwd: build, env, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return path.join(build, 'sealflow-instance');
}

async function launch(slot: string, instance: string, env: Record<string, string>, args?: readonly string[]) {
  const { host, port } = h.broker.address;
  const w = await localConnector.launch({
    runId: h.runId,
    slot,
    deployment: 'enclaves',
    options: {},
    platform: occlumPlatform,
    program: { entry: '/bin/sealflow-provisioner', files: { 'Occlum.json': path.join(instance, 'Occlum.json'), image: path.join(instance, 'image'), 'executor.bundle': h.bundlePath }, args: (dir) => args ?? [`${host}:${port}`, slot, path.join(dir, 'executor.bundle')] },
    // §3a: the slot's launch ticket, in the run's environment as every connector passes it.
    env: { PATH: `${tools.bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, SEALFLOW_TICKET: h.tickets.get(slot) ?? '', ...env },
    localBase: work,
  });
  return w.exited;
}

describe('platform occlum, launched through the local connector with stand-in toolchain executables', () => {
  test('the image entry sends the recorded SGX quote from the devfs quote files, and the master refuses it with report-data-mismatch; hostile environment and arguments change nothing', async () => {
    const claims = await verifyEvidence(sample.evidence, sample.collateral, undefined, { now: sample.now });
    h = await setup({ policy: () => policyAllowing(claims), collateral: sample.collateral, verifyAt: () => sample.now });
    writeFileSync(path.join(tools.bin, 'dev', 'attestation_quote'), sample.evidence);
    const instance = ownerBuild(h.master.pin);
    assert.deepEqual(tools.calls().find((c) => c.tool === 'occlum' && c.args[0] === 'build')?.edmm, 'Y', 'EDMM builds with ENABLE_EDMM=Y');
    assert.equal(existsSync(path.join(instance, 'image', 'etc', 'sealflow', 'launch.json')), true);

    expectSlot(h, 'enclaves-1', 'occlum', 'local');
    const exit = await launch('enclaves-1', instance, {});
    assert.equal(exit.code, 3, 'the provisioner exits 3: refused');
    assert.equal(attestation1(h.decisions, 'enclaves-1')?.reason, 'report-data-mismatch', JSON.stringify(h.decisions));
    assert.equal(readFileSync(path.join(tools.bin, 'dev', 'attestation_report_data')).length, 64);

    expectSlot(h, 'enclaves-2', 'occlum', 'local');
    const { host, port } = h.broker.address;
    const hostile = await launch('enclaves-2', instance, { ...HOSTILE_ENV, NODE_OPTIONS: `--require=${evil}` }, [`${host}:${port}`, 'enclaves-2', h.bundlePath, ...HOSTILE_ARGS]);
    assert.equal(hostile.code, 3);
    assert.equal(attestation1(h.decisions, 'enclaves-2')?.reason, 'report-data-mismatch');
    const runs = tools.calls().filter((c) => c.tool === 'occlum' && c.args[0] === 'run');
    assert.equal(runs.length, 2);
    assert.deepEqual(runs[1]?.payload, runs[0]?.payload, 'the same entry, arguments and environment');
    assert.deepEqual(runs[1]?.args, ['run', '/bin/sealflow-provisioner']);
    for (const k of Object.keys(HOSTILE_ENV)) assert.ok(!runs[1]?.envNames.includes(k), `${k} reached occlum`);
    assert.equal(existsSync(marker), false, 'NODE_OPTIONS never loaded anything');
  });
});
