import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sgxDcapVerifier } from '../../src/attestation/sgx-dcap/index.js';
import { tdxVerifier } from '../../src/attestation/tdx/index.js';
import { derToPem, pemToDers } from '../../src/attestation/bytes.js';
import type { SgxDetails } from '../../src/attestation/verifier.js';
import { flipByte, refusal, runPolicyContract, runVerifierContract, swapCollateral, type Mutation } from './contract.js';
import { readShared, sgxV3Dcap, tdxV4Spr } from './intel-fixtures.js';
import { quoteRegions, withPckCertificate } from './intel-quote-edit.js';
import { forgedCrl } from './intel-test-pki.js';

const sample = sgxV3Dcap();
const { signedRegions, signatureRegions } = quoteRegions(sample.evidence);
const amdAskArk = pemToDers(readShared('sev-snp', 'roots', 'ask_ark_milan.pem').toString('latin1'));
const amdVcek = readShared('sev-snp', 'milan-v2-vcek', 'vcek.der');

const MEASUREMENT = '33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb';
const REPORT_DATA = Buffer.from('Hello, world!').toString('hex').padEnd(128, '0');

function editCollateral(name: string, key: 'tcb-info' | 'qe-identity', edit: (s: string) => string, reason: Mutation['reason']): Mutation {
  return {
    name,
    reason,
    apply: ({ evidence, collateral }) => {
      const text = Buffer.from(collateral[key]!).toString('utf8');
      const edited = edit(text);
      assert.notEqual(edited, text, 'the edit must change the collateral');
      return { evidence, collateral: { ...collateral, [key]: Buffer.from(edited, 'utf8') } };
    },
  };
}

const quoteMutation = (name: string, edit: (e: Uint8Array) => Uint8Array, reason: Mutation['reason']): Mutation => ({
  name,
  reason,
  apply: ({ evidence, collateral }) => ({ evidence: edit(evidence), collateral }),
});

const lastByteFlipped = (b: Uint8Array): Uint8Array => flipByte(b, b.length - 1);

runVerifierContract({
  verifier: sgxDcapVerifier,
  sample: {
    name: sample.name,
    evidence: sample.evidence,
    collateral: sample.collateral,
    now: sample.now,
    expected: { platform: 'sgx', measurement: MEASUREMENT, reportData: REPORT_DATA, tcbStatus: 'ConfigurationAndSWHardeningNeeded', debug: false },
  },
  signedRegions,
  signatureRegions,
  certificates: [
    { name: 'TCB Signing', collateral: 'tcb-info-issuer-chain', index: 0 },
    { name: 'root in the TCB info issuer chain', collateral: 'tcb-info-issuer-chain', index: 1 },
    { name: 'QE identity TCB Signing', collateral: 'qe-identity-issuer-chain', index: 0 },
    { name: 'PCK CRL issuer (PCK Processor CA)', collateral: 'pck-crl-issuer-chain', index: 0 },
  ],
  mutations: [
    quoteMutation('the PCK certificate in the quote has a flipped signature byte', (e) => withPckCertificate(e, 0), 'chain-untrusted'),
    quoteMutation('the PCK CA certificate in the quote has a flipped signature byte', (e) => withPckCertificate(e, 1), 'chain-untrusted'),
    quoteMutation('the root certificate in the quote has a flipped signature byte', (e) => withPckCertificate(e, 2), 'chain-untrusted'),
    quoteMutation("AMD's ASK replaces the PCK CA in the quote", (e) => withPckCertificate(e, 1, amdAskArk[0]), 'chain-untrusted'),
    quoteMutation("AMD's ARK replaces the Intel root in the quote", (e) => withPckCertificate(e, 2, amdAskArk[1]), 'chain-untrusted'),
    quoteMutation("an AMD VCEK replaces the PCK certificate (its key did not sign the QE report)", (e) => withPckCertificate(e, 0, amdVcek), 'bad-signature'),
    swapCollateral("AMD's ASK/ARK replaces the TCB info issuer chain", 'tcb-info-issuer-chain', Buffer.from(amdAskArk.map((d) => derToPem(d)).join('')), 'bad-signature'),
    editCollateral('one TCB level of the TCB info is altered', 'tcb-info', (s) => s.replace('"pcesvn":13', '"pcesvn":12'), 'bad-signature'),
    editCollateral('the TCB info status is altered', 'tcb-info', (s) => s.replace('"tcbStatus":"ConfigurationAndSWHardeningNeeded"', '"tcbStatus":"UpToDate"'), 'bad-signature'),
    editCollateral('the QE identity is altered', 'qe-identity', (s) => s.replace('"isvprodid":1', '"isvprodid":2'), 'bad-signature'),
    editCollateral('the TCB info is not JSON', 'tcb-info', (s) => s.slice(0, 100), 'malformed'),
    editCollateral('the TCB info has an unknown version', 'tcb-info', (s) => s.replace('"version":3', '"version":9'), 'unsupported-version'),
    { name: 'the TCB info signature has a flipped byte', reason: 'bad-signature', apply: (s) => ({ ...s, collateral: { ...s.collateral, 'tcb-info-signature': lastByteFlipped(s.collateral['tcb-info-signature']!) } }) },
    { name: 'the QE identity signature has a flipped byte', reason: 'bad-signature', apply: (s) => ({ ...s, collateral: { ...s.collateral, 'qe-identity-signature': lastByteFlipped(s.collateral['qe-identity-signature']!) } }) },
    { name: 'the PCK CRL signature has a flipped byte', reason: 'bad-signature', apply: (s) => ({ ...s, collateral: { ...s.collateral, 'pck-crl': lastByteFlipped(s.collateral['pck-crl']!) } }) },
    { name: 'the root CA CRL signature has a flipped byte', reason: 'bad-signature', apply: (s) => ({ ...s, collateral: { ...s.collateral, 'root-ca-crl': lastByteFlipped(s.collateral['root-ca-crl']!) } }) },
    { name: 'a forged PCK CRL (Intel issuer name, foreign key) revokes the PCK', reason: 'bad-signature', apply: (s) => ({ ...s, collateral: { ...s.collateral, 'pck-crl': forgedCrl(s.evidence) } }) },
    swapCollateral('the root CA CRL is given as the PCK CRL', 'pck-crl', sample.collateral['root-ca-crl'], 'collateral-missing'),
    swapCollateral('the TCB info has no signature', 'tcb-info-signature', undefined, 'collateral-missing'),
    swapCollateral('the QE identity has no signature', 'qe-identity-signature', undefined, 'collateral-missing'),
    swapCollateral('no TCB info is given', 'tcb-info', undefined, 'collateral-missing'),
    swapCollateral('no TCB info issuer chain is given', 'tcb-info-issuer-chain', undefined, 'collateral-missing'),
    swapCollateral('no QE identity is given', 'qe-identity', undefined, 'collateral-missing'),
    swapCollateral('no QE identity issuer chain is given', 'qe-identity-issuer-chain', undefined, 'collateral-missing'),
    swapCollateral('no PCK CRL is given', 'pck-crl', undefined, 'collateral-missing'),
    swapCollateral('no root CA CRL is given', 'root-ca-crl', undefined, 'collateral-missing'),
    swapCollateral('another Intel root is forced on the verifier (intel-root-ca override)', 'intel-root-ca', Buffer.from(derToPem(amdAskArk[1]!)), 'chain-untrusted'),
    { name: 'the collateral has expired (TCB info next update 2025-07-19)', reason: 'collateral-expired', at: new Date('2025-07-20T00:00:00Z'), apply: (s) => s },
  ],
  clock: {
    expired: { at: new Date('2050-01-01T00:00:00Z'), reason: 'cert-expired' },
    notYetValid: { at: new Date('2017-01-01T00:00:00Z'), reason: 'cert-not-yet-valid' },
  },
  foreignEvidence: [tdxV4Spr().evidence, readShared('sev-snp', 'milan-v2-vcek', 'report.bin')],
});

runPolicyContract({ name: sample.name, claims: () => sgxDcapVerifier.verify(sample.evidence, sample.collateral, { now: sample.now }) });

describe('SGX DCAP quote v3 (dcap-qvl sample) claims', () => {
  test('reports MRSIGNER, ISV ids, attributes, FMSPC and the advisories of the matched TCB level', async () => {
    const claims = await sgxDcapVerifier.verify(sample.evidence, sample.collateral, { now: sample.now });
    assert.equal(claims.platform, 'sgx');
    const d = claims.details as SgxDetails;
    assert.equal(d.quoteVersion, 3);
    assert.equal(d.mrSigner, '815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6');
    assert.equal(d.isvProdId, 0);
    assert.equal(d.isvSvn, 0);
    assert.equal(d.attributes, '0500000000000000e700000000000000');
    assert.equal(d.miscSelect, '00000000');
    assert.equal(d.fmspc, '00a067110000');
    assert.equal(d.pceId, '0000');
    assert.equal(d.tcbDate, '2024-03-13T00:00:00Z');
    assert.deepEqual(d.advisoryIds, ['INTEL-SA-00289', 'INTEL-SA-00615']);
    assert.equal(d['qeTcbStatus'], 'UpToDate');
    // The oldest of the TCB info, QE identity and CRL issue times: the root CA CRL's thisUpdate.
    assert.equal(d['collateralIssueDate'], '2025-03-20T11:21:57.000Z');
  });

  test('accepts the collateral without the optional PCK CRL issuer chain', async () => {
    const { 'pck-crl-issuer-chain': _unused, ...rest } = sample.collateral;
    const claims = await sgxDcapVerifier.verify(sample.evidence, rest, { now: sample.now });
    assert.equal(claims.measurement, MEASUREMENT);
  });

  test('accepts the TCB info signature given as hex text as well as raw bytes', async () => {
    const hexSig = Buffer.from(Buffer.from(sample.collateral['tcb-info-signature']!).toString('hex'), 'latin1');
    const claims = await sgxDcapVerifier.verify(sample.evidence, { ...sample.collateral, 'tcb-info-signature': hexSig }, { now: sample.now });
    assert.equal(claims.tcbStatus, 'ConfigurationAndSWHardeningNeeded');
  });

  test('is not claimed by the TDX verifier, which refuses it as malformed', async () => {
    assert.equal(tdxVerifier.sniff(sample.evidence), false);
    assert.equal(await refusal(tdxVerifier, sample, sample.now), 'malformed');
  });
});
