import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadCollateral, parseCollateralBundle, collateralNameOfFile } from '../../src/attestation/collateral.js';
import { InputError } from '../../src/errors.js';
import { attestationData } from '../helpers/shared.js';
import { snpVerifier } from '../../src/attestation/sev-snp/index.js';

describe('loading collateral', () => {
  test('a directory of PCS files maps known file names to collateral names', () => {
    const c = loadCollateral(attestationData('tdx', 'v4-spr'));
    assert.deepEqual(Object.keys(c).sort(), ['pck-crl', 'pck-crl-issuer-chain', 'qe-identity', 'qe-identity-issuer-chain', 'root-ca-crl', 'tcb-info', 'tcb-info-issuer-chain']);
    assert.deepEqual(c['root-ca-crl'], new Uint8Array(readFileSync(attestationData('tdx', 'v4-spr', 'root-crl.der'))));
  });

  test('SEV-SNP file names: vcek.der, vlek.pem and ask_ark*.pem', () => {
    assert.equal(collateralNameOfFile('vcek.der'), 'vcek');
    assert.equal(collateralNameOfFile('VLEK.pem'), 'vcek');
    assert.equal(collateralNameOfFile('ask_ark_milan.pem'), 'ask-ark');
    assert.equal(collateralNameOfFile('report.bin'), undefined);
    const c = loadCollateral(attestationData('sev-snp', 'milan-v2-virtee'));
    assert.deepEqual(Object.keys(c).sort(), ['ask-ark', 'vcek']);
  });

  test('separate ask.pem and ark.pem (as snpguest writes them) make ask-ark, and the chain verifies', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'sealflow-coll-'));
    const pems = readFileSync(attestationData('sev-snp', 'milan-v2-virtee', 'ask_ark.pem'), 'latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
    writeFileSync(path.join(d, 'ask.pem'), pems[0] ?? '');
    writeFileSync(path.join(d, 'ark.pem'), pems[1] ?? '');
    writeFileSync(path.join(d, 'vcek.der'), readFileSync(attestationData('sev-snp', 'milan-v2-virtee', 'vcek.der')));
    const c = loadCollateral(d);
    assert.deepEqual(Object.keys(c).sort(), ['ask-ark', 'vcek']);
    const report = new Uint8Array(readFileSync(attestationData('sev-snp', 'milan-v2-virtee', 'report.bin')));
    const claims = await snpVerifier.verify(report, c, { now: new Date('2025-01-01T00:00:00Z') });
    assert.equal(claims.platform, 'sev-snp');
  });

  test('the dcap-qvl JSON bundle decodes hex CRLs and signatures and keeps the signed JSON exact', () => {
    const file = attestationData('sgx', 'v3-dcap', 'collateral.json');
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    const c = loadCollateral(file);
    assert.equal(Buffer.from(c['tcb-info'] ?? []).toString('utf8'), raw['tcb_info']);
    assert.equal(Buffer.from(c['qe-identity'] ?? []).toString('utf8'), raw['qe_identity']);
    assert.equal(c['tcb-info-signature']?.length, 64);
    assert.equal(c['pck-crl']?.[0], 0x30);
    assert.equal(c['root-ca-crl']?.[0], 0x30);
    assert.match(Buffer.from(c['pck-crl-issuer-chain'] ?? []).toString(), /BEGIN CERTIFICATE/);
  });

  test('our own JSON bundle takes PEM text or base64 by collateral name', () => {
    const c = parseCollateralBundle(JSON.stringify({ vcek: Buffer.from([1, 2, 3]).toString('base64'), 'ask-ark': '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n' }), 'b.json');
    assert.deepEqual(c.vcek, new Uint8Array([1, 2, 3]));
    assert.match(Buffer.from(c['ask-ark'] ?? []).toString(), /BEGIN CERTIFICATE/);
  });

  test('an unknown bundle key suggests the nearest name', () => {
    assert.throws(() => parseCollateralBundle('{"vcke": "AA=="}', 'b.json'), (e: unknown) => e instanceof InputError && /unknown collateral "vcke"; did you mean "vcek"\?/.test(e.message));
  });

  test('a replacement Intel root is refused unless the caller allows it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sealflow-coll-'));
    const f = path.join(dir, 'b.json');
    writeFileSync(f, JSON.stringify({ 'intel-root-ca': '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n' }));
    assert.throws(() => loadCollateral(f), /pinned Intel SGX Root CA/);
    assert.ok(loadCollateral(f, { allowRootOverride: true })['intel-root-ca']);
  });

  test('a missing path is an input error', () => {
    assert.throws(() => loadCollateral('/nonexistent/collateral'), (e: unknown) => e instanceof InputError && /ENOENT/.test(e.message));
  });
});
