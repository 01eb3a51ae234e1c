/**
 * `--collateral FILE` with a certificate chain file (issue 11 §9): before,
 * `--collateral chain.pem` answered "not valid JSON (No number after minus
 * sign…)". Now the chain is mapped onto the collateral item its certificates
 * are, and anything else says what was expected. Real vendor chains only.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCollateral } from '../../src/attestation/collateral.js';
import { snpVerifier } from '../../src/attestation/sev-snp/index.js';
import { tdxVerifier } from '../../src/attestation/tdx/index.js';
import { AttestationError } from '../../src/attestation/verifier.js';
import { InputError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { attestationData, readAttestationData } from '../helpers/shared.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-collateral-pem-'));
const write = (name: string, data: string | Uint8Array): string => {
  fs.writeFileSync(path.join(tmp, name), data);
  return path.join(tmp, name);
};
const text = (...p: string[]): string => Buffer.from(readAttestationData(...p)).toString('latin1');

describe('a certificate chain file as collateral', () => {
  test('an AMD ASK + ARK chain becomes ask-ark, whatever the file is called, and the SNP report verifies with it', async () => {
    const file = write('chain.pem', text('sev-snp', 'milan-v2-virtee', 'ask_ark.pem'));
    const c = loadCollateral(file);
    assert.deepEqual(Object.keys(c), ['ask-ark']);
    const claims = await snpVerifier.verify(readAttestationData('sev-snp', 'milan-v2-virtee', 'report.bin'), { ...c, vcek: readAttestationData('sev-snp', 'milan-v2-virtee', 'vcek.der') }, { now: new Date('2025-01-01T00:00:00Z') });
    assert.equal(claims.platform, 'sev-snp');
  });

  test('a VCEK (DER) becomes vcek, and VCEK + ASK + ARK in one PEM file give both items', () => {
    assert.deepEqual(Object.keys(loadCollateral(write('leaf.crt', readAttestationData('sev-snp', 'milan-v2-virtee', 'vcek.der')))), ['vcek']);
    const vcekPem = new X509Certificate(readAttestationData('sev-snp', 'milan-v2-virtee', 'vcek.der')).toString();
    const c = loadCollateral(write('full.pem', vcekPem + text('sev-snp', 'roots', 'ask_ark_milan.pem')));
    assert.deepEqual(Object.keys(c).sort(), ['ask-ark', 'vcek']);
  });

  test('an Intel TCB Signing chain serves TCB info and QE identity, a PCK CA chain the PCK CRL, and the TDX quote gets as far with them as with the directory', async () => {
    const tcb = loadCollateral(write('intel-tcb.pem', text('tdx', 'v4-spr', 'tcb-info-issuer-chain.pem')));
    assert.deepEqual(Object.keys(tcb).sort(), ['qe-identity-issuer-chain', 'tcb-info-issuer-chain']);
    const pck = loadCollateral(write('intel-pck.pem', text('tdx', 'v4-spr', 'pck-crl-issuer-chain.pem')));
    assert.deepEqual(Object.keys(pck), ['pck-crl-issuer-chain']);
    const dir = loadCollateral(attestationData('tdx', 'v4-spr'));
    const c = { ...tcb, ...pck, 'tcb-info': dir['tcb-info']!, 'qe-identity': dir['qe-identity']!, 'pck-crl': dir['pck-crl']!, 'root-ca-crl': dir['root-ca-crl']! };
    // This sample's platform TCB is below every level of its TCB info: refused as tcb-mismatch, after every signature and chain checked.
    const quote = readAttestationData('tdx', 'v4-spr', 'quote.dat');
    const now = { now: new Date('2023-07-01T00:00:00Z') };
    const reason = (p: Promise<unknown>): Promise<string> => p.then(() => 'accepted', (e: unknown) => (e instanceof AttestationError ? e.reason : String(e)));
    assert.equal(await reason(tdxVerifier.verify(quote, c, now)), 'tcb-mismatch');
    assert.equal(await reason(tdxVerifier.verify(quote, dir, now)), 'tcb-mismatch');
  });

  test('the Intel root alone is refused: it would replace the pinned root', () => {
    assert.throws(() => loadCollateral(attestationData('intel', 'sgx-root-ca.pem')), (e: unknown) => e instanceof InputError && /would replace the pinned Intel SGX Root CA/.test(e.message));
  });

  test('an incomplete AMD chain, mixed vendors and a private key say what is wrong', () => {
    const [ask] = text('sev-snp', 'roots', 'ask_ark_genoa.pem').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
    assert.throws(() => loadCollateral(write('ask-only.pem', ask ?? '')), /needs both the ASK \(or ASVK\) and the ARK certificate; it has only SEV-Genoa/);
    assert.throws(() => loadCollateral(write('mixed.pem', text('sev-snp', 'roots', 'ask_ark_milan.pem') + text('tdx', 'v4-spr', 'tcb-info-issuer-chain.pem'))), /mixes AMD and Intel certificates/);
    assert.throws(() => loadCollateral(write('key.pem', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')), /holds a PEM "PRIVATE KEY" block/);
  });

  test('a file that is neither JSON nor certificates names the file and the shapes expected', () => {
    assert.throws(
      () => loadCollateral(write('notes.txt', '-- not collateral\n')),
      (e: unknown) => e instanceof InputError && /notes\.txt: not a collateral file: .*expected a collateral directory .*a JSON bundle .*or a certificate file/.test(e.message),
    );
  });

  test('sealflow attest verify --collateral chain.pem verifies the SNP report (exit 0)', async () => {
    const chain = write('cert_chain_for_cli.pem', text('sev-snp', 'milan-v2-virtee', 'ask_ark.pem'));
    const r = await runCli(['attest', 'verify', '--evidence', attestationData('sev-snp', 'milan-v2-virtee', 'report.bin'), '--vcek', attestationData('sev-snp', 'milan-v2-virtee', 'vcek.der'), '--collateral', chain, '--at', '2025-01-01'], { env: { SEALFLOW_HOME: path.join(tmp, 'home') } });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /JSON/);
    assert.equal(JSON.parse(r.stdout).platform, 'sev-snp');
  });
});
