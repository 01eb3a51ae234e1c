/**
 * docs/protocol.md §3 and DESIGN.md "What the measurement covers": the
 * provisioner every platform launches is one self-contained file, and the sim
 * measurement covers every byte of it.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

describe('§3 the provisioner build record', () => {
  const MODULE = fileURLToPath(new URL('../../src/tee/provisioner-bundle.js', import.meta.url));
  /** provisionerBundle(entry) in a fresh process (nothing remembered in memory): its SHA-256. */
  const bundleIn = (home: string, entry: string): string => {
    const script = `const m = await import(${JSON.stringify(MODULE)}); process.stdout.write(m.provisionerBundle({ ...process.env, SEALFLOW_HOME: ${JSON.stringify(home)} }, ${JSON.stringify(entry)}).sha256);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };

  test('a later process reuses the recorded build, and a changed input or a tampered bundle is built again', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sealflow-prov-record-'));
    try {
      const home = path.join(dir, 'home');
      const entry = path.join(dir, 'entry.js');
      writeFileSync(entry, "import { x } from './dep.js';\nconsole.log(x);\n");
      writeFileSync(path.join(dir, 'dep.js'), 'export const x = 1111;\n');
      const first = bundleIn(home, entry);
      const cache = path.join(home, 'cache');
      const record = path.join(cache, readdirSync(cache).find((f) => f.startsWith('provisioner-build-'))!);
      const before = { text: readFileSync(record, 'utf8'), mtime: statSync(record).mtimeMs };
      assert.match(before.text, /dep\.js/, 'the record names the imported file');

      assert.equal(bundleIn(home, entry), first, 'same bytes from the record');
      assert.deepEqual({ text: readFileSync(record, 'utf8'), mtime: statSync(record).mtimeMs }, before, 'the record was used, not rewritten');

      writeFileSync(path.join(dir, 'dep.js'), 'export const x = 2222;\n');
      const second = bundleIn(home, entry);
      assert.notEqual(second, first, 'a changed input rebuilds');
      const bundle = path.join(cache, `provisioner-${second.slice(0, 32)}.mjs`);
      assert.match(readFileSync(bundle, 'utf8'), /2222/);

      writeFileSync(bundle, readFileSync(bundle, 'utf8').replace('2222', '3333'));
      assert.equal(bundleIn(home, entry), second, 'a bundle whose bytes no longer match its record is built again');
      assert.match(readFileSync(bundle, 'utf8'), /2222/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
