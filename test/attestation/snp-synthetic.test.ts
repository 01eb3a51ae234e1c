/**
 * SEV-SNP paths that no real sample in shared/ exercises, under a generated
 * PKI (snp-synthetic.ts): VLEK/ASVK, Turin's TCB layout and 8-byte hwID,
 * report v5, MASK_CHIP_KEY, and certificate TCB / hwID mismatches.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSnpVerifier, snpVerifier } from '../../src/attestation/sev-snp/verifier.js';
import { REPORT_FIELDS } from '../../src/attestation/sev-snp/index.js';
import { refusal, runVerifierContract, swapCollateral, type Region } from './contract.js';
import { CHIP_ID, makeAmdCrl, makeReport, makeWorld, TCB } from './snp-synthetic.js';
import { generateKeyPairSync } from 'node:crypto';
import { rd } from './snp-samples.js';

const now = new Date('2026-01-01T00:00:00Z');
const expected = (debug = false) => ({ platform: 'sev-snp' as const, measurement: '4d'.repeat(48), reportData: '5d'.repeat(64), tcbStatus: 'NotApplicable' as const, debug });
const regions: Region[] = (['MEASUREMENT', 'REPORT_DATA', 'REPORTED_TCB', 'CHIP_ID', 'FLAGS', 'MIT_VECTORS'] as const).map((n) => ({ name: n, start: REPORT_FIELDS[n][0], end: REPORT_FIELDS[n][1] }));
const sigRegions: Region[] = [
  { name: 'R', start: 0x2a0, end: 0x2e8 },
  { name: 'S', start: 0x2e8, end: 0x330 },
];

const turin = makeWorld({ product: 'Turin', kind: 'vcek' });
runVerifierContract({
  verifier: createSnpVerifier(turin.trust),
  sample: { name: 'synthetic Turin v5 report, VCEK with an 8-byte hwID', evidence: makeReport(turin, { version: 5, product: 'Turin', kind: 'vcek' }), collateral: { vcek: turin.endorsement }, now, expected: expected() },
  signedRegions: regions,
  signatureRegions: sigRegions,
  certificates: [{ name: 'VCEK', collateral: 'vcek' }],
  mutations: [swapCollateral('the real Turin ASK/ARK is given for the synthetic VCEK', 'ask-ark', rd('roots', 'ask_ark_turin_vcek.pem'), 'chain-untrusted')],
  clock: { expired: { at: new Date('2031-01-02T00:00:00Z'), reason: 'cert-expired' }, notYetValid: { at: new Date('2023-12-31T00:00:00Z'), reason: 'cert-not-yet-valid' } },
});

const genoaVlek = makeWorld({ product: 'Genoa', kind: 'vlek' });
runVerifierContract({
  verifier: createSnpVerifier(genoaVlek.trust),
  sample: { name: 'synthetic Genoa v3 report signed with a VLEK', evidence: makeReport(genoaVlek, { version: 3, product: 'Genoa', kind: 'vlek' }), collateral: { vcek: genoaVlek.endorsement }, now, expected: expected() },
  signedRegions: regions,
  signatureRegions: sigRegions,
  certificates: [{ name: 'VLEK', collateral: 'vcek' }],
});

describe("AMD's CRL (collateral amd-crl), under the synthetic ARK", () => {
  const w = makeWorld({ product: 'Milan', kind: 'vcek' });
  const report = makeReport(w, { version: 3, product: 'Milan', kind: 'vcek' });
  const v = createSnpVerifier(w.trust);
  const withCrl = (crl: Uint8Array) => ({ evidence: report, collateral: { vcek: w.endorsement, 'amd-crl': crl } });

  test('a CRL that does not list the ASK is accepted, DER or PEM', async () => {
    const crl = makeAmdCrl(w, { revoked: [7, 9] });
    await v.verify(report, withCrl(crl).collateral, { now });
    const pemCrl = `-----BEGIN X509 CRL-----\n${Buffer.from(crl).toString('base64')}\n-----END X509 CRL-----\n`;
    await v.verify(report, withCrl(new Uint8Array(Buffer.from(pemCrl))).collateral, { now });
  });
  test('a CRL that lists the ASK serial refuses the evidence as revoked', async () => {
    assert.equal(await refusal(v, withCrl(makeAmdCrl(w, { revoked: [7, 2] })), now), 'revoked');
  });
  test('a CRL not signed by the ARK is a bad signature', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    assert.equal(await refusal(v, withCrl(makeAmdCrl(w, { revoked: [], signer: other })), now), 'bad-signature');
  });
  test('a CRL past its next update, or issued after the verification time, is expired collateral', async () => {
    assert.equal(await refusal(v, withCrl(makeAmdCrl(w, { revoked: [], nextUpdate: new Date('2025-12-01T00:00:00Z') })), now), 'collateral-expired');
    assert.equal(await refusal(v, withCrl(makeAmdCrl(w, { revoked: [], thisUpdate: new Date('2026-02-01T00:00:00Z') })), now), 'collateral-expired');
  });
  test('an RSASSA-PSS (SHA-384, salt 48) CRL from an RSA-PSS ARK, as AMD signs them, is checked', async () => {
    const rw = makeWorld({ product: 'Genoa', kind: 'vcek', rsaPss: true });
    const rr = makeReport(rw, { version: 3, product: 'Genoa', kind: 'vcek' });
    const rv = createSnpVerifier(rw.trust);
    await rv.verify(rr, { vcek: rw.endorsement, 'amd-crl': makeAmdCrl(rw, { revoked: [5] }) }, { now });
    assert.equal(await refusal(rv, { evidence: rr, collateral: { vcek: rw.endorsement, 'amd-crl': makeAmdCrl(rw, { revoked: [2] }) } }, now), 'revoked');
    const ec = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    assert.equal(await refusal(rv, { evidence: rr, collateral: { vcek: rw.endorsement, 'amd-crl': makeAmdCrl(rw, { revoked: [], signer: ec }) } }, now), 'bad-signature');
  });

  test('a CRL that is not a CRL is malformed', async () => {
    assert.equal(await refusal(v, withCrl(new Uint8Array([0x30, 0x03, 1, 2, 3])), now), 'malformed');
  });
});

describe('SEV-SNP paths without a real sample (synthetic PKI)', () => {
  test('the Turin claims decode the Turin TCB layout, CPUID and mitigation vectors', async () => {
    const c = await createSnpVerifier(turin.trust).verify(makeReport(turin, { version: 5, product: 'Turin', kind: 'vcek' }), { vcek: turin.endorsement }, { now });
    assert.equal(c.platform, 'sev-snp');
    if (c.platform !== 'sev-snp') return;
    assert.equal(c.details.product, 'Turin');
    assert.deepEqual({ ...c.details.reportedTcb, raw: undefined }, { ...TCB, raw: undefined });
    assert.deepEqual(c.details['mitigationVectors'], { launch: '5', current: '0' });
    assert.equal(c.details.signingKey, 'vcek');
  });

  test('a VLEK-signed report names the VLEK and needs no hwID', async () => {
    const c = await createSnpVerifier(genoaVlek.trust).verify(makeReport(genoaVlek, { version: 3, product: 'Genoa', kind: 'vlek' }), { vcek: genoaVlek.endorsement }, { now });
    assert.equal(c.details['signingKey'], 'vlek');
  });

  test('a VLEK chained to an ASK (not an ASVK) is untrusted', async () => {
    const vcekWorld = makeWorld({ product: 'Genoa', kind: 'vcek' });
    // Same keys, but the report claims a VLEK and the certificate is a VCEK.
    const report = makeReport(vcekWorld, { version: 3, product: 'Genoa', kind: 'vlek' });
    assert.equal(await refusal(createSnpVerifier(vcekWorld.trust), { evidence: report, collateral: { vcek: vcekWorld.endorsement } }, now), 'chain-untrusted');
  });

  test('a VCEK whose TCB extensions differ from REPORTED_TCB is a TCB mismatch', async () => {
    const w = makeWorld({ product: 'Milan', kind: 'vcek', certTcb: { ...TCB, snp: TCB.snp - 1 } });
    const report = makeReport(w, { version: 3, product: 'Milan', kind: 'vcek' });
    assert.equal(await refusal(createSnpVerifier(w.trust), { evidence: report, collateral: { vcek: w.endorsement } }, now), 'tcb-mismatch');
  });

  test('a Turin VCEK whose fmcSPL differs is a TCB mismatch', async () => {
    const w = makeWorld({ product: 'Turin', kind: 'vcek', certTcb: { ...TCB, fmc: 3 } });
    const report = makeReport(w, { version: 5, product: 'Turin', kind: 'vcek' });
    assert.equal(await refusal(createSnpVerifier(w.trust), { evidence: report, collateral: { vcek: w.endorsement } }, now), 'tcb-mismatch');
  });

  test("a VCEK for another chip's hwID, or without one, is a TCB mismatch", async () => {
    for (const hwId of [CHIP_ID.map((x) => x ^ 1), null]) {
      const w = makeWorld({ product: 'Genoa', kind: 'vcek', hwId });
      const report = makeReport(w, { version: 3, product: 'Genoa', kind: 'vcek' });
      assert.equal(await refusal(createSnpVerifier(w.trust), { evidence: report, collateral: { vcek: w.endorsement } }, now), 'tcb-mismatch');
    }
  });

  test('with MASK_CHIP_KEY the zeroed CHIP_ID is not compared with the hwID', async () => {
    const w = makeWorld({ product: 'Genoa', kind: 'vcek' });
    const report = makeReport(w, { version: 3, product: 'Genoa', kind: 'vcek', maskChipKey: true });
    const c = await createSnpVerifier(w.trust).verify(report, { vcek: w.endorsement }, { now });
    assert.equal(c.details['maskChipKey'], true);
  });

  test('a v3 report whose CPUID says Genoa with a Milan VCEK is untrusted', async () => {
    const w = makeWorld({ product: 'Milan', kind: 'vcek' });
    const report = makeReport(w, { version: 3, product: 'Genoa', kind: 'vcek' });
    assert.equal(await refusal(createSnpVerifier(w.trust), { evidence: report, collateral: { vcek: w.endorsement } }, now), 'chain-untrusted');
  });

  test('the production verifier never trusts the generated root, even after a test verifier did', async () => {
    const report = makeReport(turin, { version: 5, product: 'Turin', kind: 'vcek' });
    await createSnpVerifier(turin.trust).verify(report, { vcek: turin.endorsement, 'ask-ark': new Uint8Array(Buffer.concat([Buffer.from(pem(turin.ask)), Buffer.from(pem(turin.ark))])) }, { now });
    const withChain = { vcek: turin.endorsement, 'ask-ark': new Uint8Array(Buffer.concat([Buffer.from(pem(turin.ask)), Buffer.from(pem(turin.ark))])) };
    assert.equal(await refusal(snpVerifier, { evidence: report, collateral: withChain }, now), 'chain-untrusted');
    assert.equal(await refusal(snpVerifier, { evidence: report, collateral: { vcek: turin.endorsement } }, now), 'chain-untrusted');
  });
});

function pem(der: Uint8Array): string {
  return `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64')}\n-----END CERTIFICATE-----\n`;
}
