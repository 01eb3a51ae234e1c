import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simPlatformInfo } from '../../src/tee/sim/index.js';
import { launchConfigText, referenceSimMeasurement, simMeasurement, SIM_EVIDENCE } from '../../src/tee/sim/measure.js';
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
