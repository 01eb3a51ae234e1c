/**
 * docs/protocol.md §3 and DESIGN.md "What the measurement covers": the
 * provisioner every platform launches is one self-contained file, and the sim
 * measurement covers every byte of it.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { provisionerBundle } from '../../src/tee/provisioner-bundle.js';
import { launchConfigText, referenceSimMeasurement, simMeasurement, SIM_EVIDENCE } from '../../src/tee/sim/measure.js';

describe('§3 the one-file provisioner', () => {
  test('the launched file holds the WCPAC primitives and imports nothing but Node built-ins', () => {
    const b = provisionerBundle();
    const code = readFileSync(b.path, 'utf8');
    assert.ok(b.path.endsWith('.mjs'));
    const specifiers = [...code.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2]);
    assert.deepEqual(specifiers.filter((s) => !s?.startsWith('node:')), [], 'no relative or package imports');
    for (const primitive of ['function lengthPrefixed', 'function unwrapKey', 'function reportData', 'function bundleKeyMessage', 'function openBundle', 'function parseLaunchConfig', 'sealflow-wcpac-v1/bundle-key']) {
      assert.ok(code.includes(primitive), `the measured file contains ${primitive}`);
    }
  });

  test('is the same bytes from any working directory and any master home', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'sealflow-prov-home-'));
    const cwd = process.cwd();
    try {
      process.chdir(os.tmpdir());
      const other = provisionerBundle({ ...process.env, SEALFLOW_HOME: home });
      assert.ok(other.path.startsWith(home));
      assert.ok(readFileSync(other.path).equals(provisionerBundle().code));
    } finally {
      process.chdir(cwd);
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('the reference sim measurement is over the launched bytes, and changing any byte changes it', () => {
    const pin = 'd'.repeat(64);
    const b = provisionerBundle();
    const conf = Buffer.from(launchConfigText(pin, SIM_EVIDENCE));
    const reference = referenceSimMeasurement(pin);
    assert.equal(reference, simMeasurement(readFileSync(b.path), conf).toString('hex'));
    const changed = Buffer.from(b.code);
    for (let at = 0; at < changed.length; at++) {
      changed[at] = (changed[at] as number) ^ 1;
      if (simMeasurement(changed, conf).toString('hex') === reference) assert.fail(`changing byte ${at} left the measurement unchanged`);
      changed[at] = (changed[at] as number) ^ 1;
    }
  });
});
