import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { runCli } from '../helpers/cli.js';
import { createSimEvidence } from '../../src/attestation/sim/index.js';
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

  test('--fetch gets a missing VCEK from KDS into the cache; later runs use the cache offline', async () => {
    const vcek = readFileSync(snp('milan-v2-vcek', 'vcek.der'));
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      const ok = (req.url ?? '').startsWith('/vcek/v1/Milan/3ac3fe21e13fb099') && (req.url ?? '').endsWith('?blSPL=02&teeSPL=00&snpSPL=05&ucodeSPL=68');
      res.writeHead(ok ? 200 : 404).end(ok ? vcek : undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const env = { SEALFLOW_KDS_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
    const cache = mkdtempSync(path.join(tmpdir(), 'sealflow-cache-'));
    const base = ['attest', 'verify', '--evidence', snp('milan-v2-vcek', 'report.bin'), '--at', '2025-01-01', '--cache-dir', cache];
    try {
      const first = await runCli([...base, '--fetch'], { env });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /fetched http:\/\/127\.0\.0\.1:\d+\/vcek\/v1\/Milan\/3ac3/);
      assert.deepEqual(paths.slice(1), ['/vcek/v1/Milan/crl']); // no CRL served here: verification goes on without one
      const second = await runCli(base, { env });
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stderr, /VCEK from cache/);
      assert.equal(paths.length, 2);
    } finally {
      server.close();
    }
  });

  test('without the VCEK and without --fetch the report is refused as collateral-missing', async () => {
    const r = await runCli(['attest', 'verify', '--evidence', snp('milan-v2-vcek', 'report.bin'), '--at', '2025-01-01']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /collateral-missing/);
  });

  test('sim evidence verifies with the root key from a collateral directory and is refused by a policy without allowSimulated', async () => {
    const root = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const simDir = path.join(dir, 'sim-collateral');
    mkdirSync(simDir, { recursive: true });
    writeFileSync(path.join(simDir, 'sim-root-key.pem'), root.publicKey.export({ type: 'spki', format: 'pem' }));
    const ev = path.join(dir, 'sim.bin');
    writeFileSync(ev, createSimEvidence(root.privateKey, { measurement: new Uint8Array(48).fill(1), reportData: new Uint8Array([0xaa]), runId: 'cli' }));
    const ok = await runCli(['attest', 'verify', '--evidence', ev, '--collateral', simDir, '--report-data', 'aa']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { platform: string }).platform, 'sim');
    const p = policyFile('sim.yaml', `sim:\n  measurements: ["${'01'.repeat(48)}"]\n`);
    const refused = await runCli(['attest', 'verify', '--evidence', ev, '--collateral', simDir, '--policy', p]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /simulated-not-allowed/);
    const allowed = policyFile('sim-ok.yaml', `allowSimulated: true\nsim:\n  measurements: ["${'01'.repeat(48)}"]\n`);
    assert.equal((await runCli(['attest', 'verify', '--evidence', ev, '--collateral', simDir, '--policy', allowed])).code, 0);
  });

  test('a copied configfs-tsm report directory (outblob, auxblob, provider) verifies like the JSON form', async () => {
    const doc = JSON.parse(readFileSync(snp('genoa-v3-configfs-tsm', 'tsm-report.json'), 'utf8')) as Record<string, string>;
    const tsmDir = path.join(dir, 'tsm-report');
    mkdirSync(tsmDir, { recursive: true });
    writeFileSync(path.join(tsmDir, 'outblob'), Buffer.from(doc['outblob'] ?? '', 'base64url'));
    writeFileSync(path.join(tsmDir, 'auxblob'), Buffer.from(doc['auxblob'] ?? '', 'base64url'));
    writeFileSync(path.join(tsmDir, 'provider'), 'sev_guest\n');
    const r = await runCli(['attest', 'verify', '--evidence', tsmDir, '--at', '2026-01-01']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { details: { product: string } }).details.product, 'Genoa');
    const empty = path.join(dir, 'empty-dir');
    mkdirSync(empty, { recursive: true });
    const bad = await runCli(['attest', 'verify', '--evidence', empty]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /without an outblob/);
  });

  test('an SGX quote verifies with the dcap-qvl collateral bundle; a TDX quote reads a PCS collateral directory', async () => {
    const sgx = await runCli(['attest', 'verify', '--evidence', attestationData('sgx', 'v3-dcap', 'quote.dat'), '--collateral', attestationData('sgx', 'v3-dcap', 'collateral.json'), '--at', '2025-07-01']);
    assert.equal(sgx.code, 0, sgx.stderr);
    const claims = JSON.parse(sgx.stdout) as { platform: string; reportData: string };
    assert.equal(claims.platform, 'sgx');
    assert.match(claims.reportData, /^48656c6c6f2c20776f726c6421/); // "Hello, world!"
    // tdx/v4-spr: its README-documented outcome (PCK TCB below every TCB level) through the CLI.
    const tdx = await runCli(['attest', 'verify', '--evidence', attestationData('tdx', 'v4-spr', 'quote.dat'), '--collateral', attestationData('tdx', 'v4-spr'), '--at', '2023-07-01']);
    assert.equal(tdx.code, 1);
    assert.match(tdx.stderr, /evidence refused: tcb-mismatch/);
  });

  test('attest verify --help documents the options and exit status', async () => {
    const r = await runCli(['attest', 'verify', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--evidence <file>[\s\S]*--vcek <file>[\s\S]*--collateral <path>[\s\S]*--policy <file>[\s\S]*--at <time>[\s\S]*--report-data <hex>[\s\S]*Exit status/);
  });
});
