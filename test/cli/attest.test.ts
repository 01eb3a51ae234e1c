import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { attestationData } from '../helpers/shared.js';

const snp = (...p: string[]) => attestationData('sev-snp', ...p);
const dir = mkdtempSync(path.join(tmpdir(), 'sealflow-attest-cli-'));
const MILAN_M = 'b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01';
function policyFile(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}
const milanArgs = ['attest', 'verify', '--evidence', snp('milan-v2-vcek', 'report.bin'), '--vcek', snp('milan-v2-vcek', 'vcek.der'), '--at', '2025-01-01'];

describe('sealflow attest verify', () => {
  test('prints the claims of genuine evidence as JSON, exits 0, and warns that no policy was applied', async () => {
    const r = await runCli(milanArgs);
    assert.equal(r.code, 0, r.stderr);
    const claims = JSON.parse(r.stdout) as { platform: string; measurement: string; debug: boolean };
    assert.equal(claims.platform, 'sev-snp');
    assert.equal(claims.measurement, MILAN_M);
    assert.equal(claims.debug, true);
    assert.match(r.stderr, /warning: no --policy given.*no measurement, debug/);
  });

  test('recognises configfs-tsm JSON and takes the certificates from its auxblob', async () => {
    const r = await runCli(['attest', 'verify', '--evidence', snp('genoa-v3-configfs-tsm', 'tsm-report.json'), '--at', '2026-01-01']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { details: { product: string } }).details.product, 'Genoa');
  });

  test('reads the VCEK and ASK/ARK from a collateral directory', async () => {
    const r = await runCli(['attest', 'verify', '--evidence', snp('milan-v2-virtee', 'report.bin'), '--collateral', snp('milan-v2-virtee'), '--at', '2025-01-01']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('refuses the debug report under a policy that does not allow debug: reason on stderr, exit 1', async () => {
    const p = policyFile('nodebug.yaml', `sev-snp:\n  measurements: ["${MILAN_M}"]\n`);
    const r = await runCli([...milanArgs, '--policy', p]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /evidence refused: debug-not-allowed/);
    assert.doesNotMatch(r.stderr, /warning/);
  });

  test('accepts the debug report under a policy that allows debug', async () => {
    const p = policyFile('debug.yaml', `sev-snp:\n  measurements: ["${MILAN_M}"]\n  allowDebug: true\n`);
    const r = await runCli([...milanArgs, '--policy', p, '--report-data', '0102030405']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('a wrong --report-data is refused with report-data-mismatch', async () => {
    const r = await runCli([...milanArgs, '--report-data', '0102030406']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /report-data-mismatch/);
  });

  test('a clock past the VCEK expiry is refused with cert-expired', async () => {
    const r = await runCli([...milanArgs.slice(0, -2), '--at', '2030-01-01']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cert-expired/);
  });

  test('a random file is refused as malformed', async () => {
    const f = path.join(dir, 'random.bin');
    writeFileSync(f, Buffer.from('this is not evidence at all'));
    const r = await runCli(['attest', 'verify', '--evidence', f]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /evidence refused: malformed/);
  });

  test('usage errors exit 2: missing evidence file, bad --at, bad --report-data, bad policy, missing option', async () => {
    const bad = policyFile('bad.yaml', 'sev-snp:\n  allowDebg: true\n');
    for (const args of [
      ['attest', 'verify', '--evidence', path.join(dir, 'nope.bin')],
      [...milanArgs.slice(0, -2), '--at', 'yesterday'],
      [...milanArgs, '--report-data', 'xyz'],
      [...milanArgs, '--policy', bad],
      [...milanArgs, '--policy', path.join(dir, 'nope.yaml')],
      ['attest', 'verify'],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.notEqual(r.stderr, '');
    }
    const r = await runCli([...milanArgs, '--policy', bad]);
    assert.match(r.stderr, /bad\.yaml:2:3: unknown key "sev-snp\.allowDebg"; did you mean "allowDebug"\?/);
  });

  test('attest verify --help documents the options and exit status', async () => {
    const r = await runCli(['attest', 'verify', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--evidence <file>[\s\S]*--vcek <file>[\s\S]*--collateral <path>[\s\S]*--policy <file>[\s\S]*--at <time>[\s\S]*--report-data <hex>[\s\S]*Exit status/);
  });
});
