import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SimPlatform, SimRoot, simPlatformInfo } from '../../src/tee/sim/index.js';
import { launchConfigText, referenceSimMeasurement, simMeasurement, SIM_EVIDENCE, writeSimLaunchConfig } from '../../src/tee/sim/measure.js';
import { ENV_ALLOW_LIST } from '../../src/tee/platform.js';
import { HOSTILE_ARGS, HOSTILE_ENV } from './fixtures.js';
import { provisionerBundle } from '../../src/tee/provisioner-bundle.js';
import { runPlatformContract } from './contract.js';

// The registry entry; the per-run SimPlatform that launches is exercised by test/wcpac/.
runPlatformContract({ platform: simPlatformInfo, satisfies: ['none'], command: process.execPath });

test('sim: the reference measurement is that of the shipped provisioner and canonical launch configuration, and changes with one byte', () => {
  const pin = 'b'.repeat(64);
  const prov = readFileSync(provisionerBundle().path);
  const conf = Buffer.from(launchConfigText(pin, SIM_EVIDENCE));
  assert.equal(referenceSimMeasurement(pin), simMeasurement(prov, conf).toString('hex'));
  assert.notEqual(simMeasurement(Buffer.concat([prov, Buffer.from(' ')]), conf).toString('hex'), referenceSimMeasurement(pin));
  assert.notEqual(referenceSimMeasurement('c'.repeat(64)), referenceSimMeasurement(pin), 'the pin is measured');
});

test('sim: a run\'s launcher gives the provisioner only the environment allow-list, and host arguments never become node options', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sealflow-sim-launch-'));
  const sim = new SimPlatform('run-1', new SimRoot());
  try {
    const config = path.join(dir, 'launch.json');
    writeSimLaunchConfig(config, 'b'.repeat(64));
    const c = sim.launch({ program: provisionerBundle().path, args: [config, ...HOSTILE_ARGS], env: { PATH: '/usr/bin', ...HOSTILE_ENV }, workDir: dir });
    assert.deepEqual(c.args.slice(0, 3), ['--', provisionerBundle().path, config]);
    for (const k of Object.keys(c.env)) assert.ok((ENV_ALLOW_LIST as readonly string[]).includes(k), k);
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
