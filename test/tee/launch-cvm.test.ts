/**
 * The `cvm` launch driven on the local connector directly, with a hostile
 * host: all seven hostile variables (NODE_OPTIONS `--require`s a script that
 * would leave a mark) and hostile arguments after the unmeasured values. The
 * stand-in qemu (standin-qemu.ts) records what it received and boots the
 * image's fixed unit; what the guest runs is identical to a benign launch,
 * nothing was loaded, and the master refuses the recorded Genoa report with
 * the same reason.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { definePolicy } from '../../src/attestation/policy.js';
import { cvmDeploymentPlatform } from '../../src/master/cvm-vm.js';
import type { TeePlatform } from '../../src/tee/platform.js';
import { expectSlot, setup, type Harness } from '../wcpac/harness.js';
import { genoaTsm } from '../attestation/snp-samples.js';
import { testImage } from './cvm-image.js';
import { HOSTILE_ARGS, HOSTILE_ENV } from './fixtures.js';
import { attestationOf, hostileNodeEnv, launchLocal, provisionerArgs } from './launch-harness.js';
import { standIns } from './standins.js';

const tools = standIns();
const work = mkdtempSync(path.join(os.tmpdir(), 'sealflow-tee-launch-cvm-'));
const { env: hostileEnv, marker } = hostileNodeEnv(work);

let h: Harness;
let platform: TeePlatform;
before(async () => {
  h = await setup({ policy: () => definePolicy({ 'sev-snp': { measurements: [genoaTsm.measurement] } }), collateral: {}, verifyAt: () => genoaTsm.now });
  const img = testImage(work, h.master.pin, 'sev-snp', tools);
  platform = cvmDeploymentPlatform({ guest: 'sev-snp', kernel: img.kernel, initrd: img.initrd, firmware: img.firmware, vcpus: 1, memoryMiB: 2048, fwCfgRoot: img.fwCfg }, h.master.pin, { kind: 'configfs-tsm', root: img.tsm });
});
after(async () => {
  await h?.close();
  rmSync(work, { recursive: true, force: true });
  rmSync(tools.bin, { recursive: true, force: true });
});

function launch(slot: string, env: Record<string, string>, extra: readonly string[] = []) {
  expectSlot(h, slot, 'cvm', 'local');
  return launchLocal(h, { slot, deployment: 'vms', platform, entry: '/nonexistent/shipped-provisioner.mjs', args: (dir) => [...provisionerArgs(h, slot, dir), ...extra], env, tools, work });
}

describe('platform cvm, launched through the local connector with a stand-in qemu', () => {
  test('a hostile environment and hostile arguments change nothing the guest runs, never reach qemu, and the run ends the same way', async () => {
    assert.equal((await launch('vms-1', {})).code, 0, 'the VM powered off');
    assert.equal(attestationOf(h, 'vms-1')?.reason, 'report-data-mismatch', JSON.stringify(h.decisions));
    assert.equal((await launch('vms-2', hostileEnv, HOSTILE_ARGS)).code, 0);
    const refusal = attestationOf(h, 'vms-2');
    assert.equal(refusal?.reason, 'report-data-mismatch', JSON.stringify(h.decisions));
    assert.equal(refusal?.recorded, true);
    const boots = tools.calls().filter((c) => c.tool === 'qemu-system-x86_64' && c.payload !== undefined);
    assert.equal(boots.length, 2);
    const [benign, hostile] = boots;
    assert.deepEqual(hostile?.payload, benign?.payload, 'the same unit, argv and environment in the guest');
    for (const k of Object.keys(HOSTILE_ENV)) assert.ok(!hostile?.envNames.includes(k), `${k} reached qemu`);
    const dirless = (args: readonly string[] | undefined) => args?.map((a) => a.replace(/vms-[12]-[^/]+/, '<worker dir>'));
    assert.deepEqual(dirless(hostile?.args), dirless(benign?.args), 'qemu got the same arguments: the hostile ones went nowhere');
    assert.equal(existsSync(marker), false, 'NODE_OPTIONS never loaded anything');
  });
});
