/**
 * Platform occlum's whole launch path on a machine without SGX: the owner
 * builds the image as `sealflow run` does (the real esbuild, a real Node
 * single executable made with postject; stand-in `occlum` and `copy_bom`),
 * the local connector ships the instance archive and runs the launch command
 * in a hostile environment (it unpacks the archive), the stand-in `occlum run` runs the
 * image's entry chrooted into the image with exactly `env.default`, the
 * entry ignores the host's arguments and reads the image's launch.json, the
 * provisioner writes its report data to /dev/attestation_report_data and
 * sends the recorded SGX quote from /dev/attestation_quote, and the master
 * refuses it with `report-data-mismatch`.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyEvidence } from '../../src/attestation/index.js';
import { policyAllowing } from '../../src/attestation/policy.js';
import { INSTANCE_ARCHIVE, occlumPlatform } from '../../src/tee/occlum/index.js';
import { buildOcclumImage } from '../../src/master/occlum-image.js';
import { expectSlot, setup, type Harness } from '../wcpac/harness.js';
import { withEnv } from '../helpers/env.js';
import { sgxV3Dcap } from '../attestation/intel-fixtures.js';
import { HOSTILE_ARGS, HOSTILE_ENV } from './fixtures.js';
import { attestationOf, hostileNodeEnv, launchLocal } from './launch-harness.js';
import { standIns } from './standins.js';

const sample = sgxV3Dcap();
const tools = standIns();
const work = mkdtempSync(path.join(os.tmpdir(), 'sealflow-occlum-launch-'));
const { env: hostileEnv, marker } = hostileNodeEnv(work);

let h: Harness;
after(async () => {
  await h?.close();
  if (h) rmSync(h.dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  rmSync(tools.bin, { recursive: true, force: true });
});

/** The owner's build as `sealflow run` makes it (src/master/occlum-image.ts: a real Node single executable, stand-in occlum and copy_bom); returns the instance archive. */
async function ownerBuild(pin: string): Promise<string> {
  const key = path.join(work, 'owner-key.pem');
  writeFileSync(key, 'stand-in key\n', { mode: 0o600 });
  const files = await withEnv({ PATH: `${tools.bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, SEALFLOW_HOME: path.join(work, 'home') }, () =>
    buildOcclumImage(path.join(work, 'build'), 'enclaves', { edmm: true, threadSlots: 16 }, { signingKey: key, attestationRoot: '/dev' }, pin),
  );
  return files[INSTANCE_ARCHIVE] as string;
}

const launch = (slot: string, archive: string, env: Record<string, string>, args?: readonly string[]) =>
  launchLocal(h, { slot, deployment: 'enclaves', platform: occlumPlatform, entry: '/bin/sealflow-provisioner', files: { [INSTANCE_ARCHIVE]: archive }, env, tools, work, ...(args ? { args: () => args } : {}) });

describe('platform occlum, launched through the local connector with stand-in toolchain executables', () => {
  test('the image entry sends the recorded SGX quote from the devfs quote files, and the master refuses it with report-data-mismatch; hostile environment and arguments change nothing', async () => {
    const claims = await verifyEvidence(sample.evidence, sample.collateral, undefined, { now: sample.now });
    h = await setup({ policy: () => policyAllowing(claims), collateral: sample.collateral, verifyAt: () => sample.now });
    writeFileSync(path.join(tools.bin, 'dev', 'attestation_quote'), sample.evidence);
    const instance = await ownerBuild(h.master.pin);
    assert.deepEqual(tools.calls().find((c) => c.tool === 'occlum' && c.args[0] === 'build')?.edmm, 'Y', 'EDMM builds with ENABLE_EDMM=Y');
    assert.ok(readFileSync(instance).includes('etc/sealflow/launch.json'), 'the image holds its launch.json');

    expectSlot(h, 'enclaves-1', 'occlum', 'local');
    const exit = await launch('enclaves-1', instance, {});
    assert.equal(exit.code, 3, 'the provisioner exits 3: refused');
    assert.equal(attestationOf(h, 'enclaves-1')?.reason, 'report-data-mismatch', JSON.stringify(h.decisions));
    assert.equal(readFileSync(path.join(tools.bin, 'dev', 'attestation_report_data')).length, 64);

    expectSlot(h, 'enclaves-2', 'occlum', 'local');
    const { host, port } = h.broker.address;
    const hostile = await launch('enclaves-2', instance, hostileEnv, [`${host}:${port}`, 'enclaves-2', h.bundlePath, ...HOSTILE_ARGS]);
    assert.equal(hostile.code, 3);
    assert.equal(attestationOf(h, 'enclaves-2')?.reason, 'report-data-mismatch');
    const runs = tools.calls().filter((c) => c.tool === 'occlum' && c.args[0] === 'run');
    assert.equal(runs.length, 2);
    assert.deepEqual(runs[1]?.payload, runs[0]?.payload, 'the same entry, arguments and environment');
    assert.deepEqual(runs[1]?.args, ['run', '/bin/sealflow-provisioner']);
    for (const k of Object.keys(HOSTILE_ENV)) assert.ok(!runs[1]?.envNames.includes(k), `${k} reached occlum`);
    assert.equal(existsSync(marker), false, 'NODE_OPTIONS never loaded anything');
  });
});
