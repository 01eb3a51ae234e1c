import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { snpVerifier, parseReport, REPORT_FIELDS, type SnpReport } from '../../src/attestation/sev-snp/index.js';
import { checkTcb } from '../../src/attestation/sev-snp/verifier.js';
import { decodeTcb } from '../../src/attestation/sev-snp/report.js';
import type { ReasonCode } from '../../src/attestation/verifier.js';
import { breakCertificateSignature, flipByte, refusal, runPolicyContract, runVerifierContract, swapCollateral, type Mutation, type Region } from './contract.js';
import { certTable, genoaTsm, milanVcek, milanVirtee, roots, tsmEvidence } from './snp-samples.js';
import { reasonOf } from './reason.js';

/** Every field group of the signed body (0x000..0x29F), with the reason a flipped middle byte gets. */
const special: Partial<Record<keyof typeof REPORT_FIELDS, ReasonCode>> = {
  VERSION: 'malformed', // 0x00ff0002 is not a report version at all
  SIGNATURE_ALGO: 'malformed',
};
const signedRegions: Region[] = [
  ...Object.entries(REPORT_FIELDS)
    .filter(([, [start]]) => start < 0x2a0)
    .map(([name, [start, end]]): Region => {
      const reason = special[name as keyof typeof REPORT_FIELDS];
      return { name, start, end, ...(reason ? { reason } : {}) };
    }),
  { name: 'reserved 0x208..0x29F', start: 0x208, end: 0x2a0 },
];
const signatureRegions: Region[] = [
  { name: 'R', start: 0x2a0, end: 0x2e8 },
  { name: 'S', start: 0x2e8, end: 0x330 },
];

function setVersion(report: Uint8Array, v: number): Uint8Array {
  const out = new Uint8Array(report);
  Buffer.from(out.buffer).writeUInt32LE(v, 0);
  return out;
}
const versionMutation = (v: number): Mutation => ({
  name: `the report version is ${v}`,
  reason: 'unsupported-version',
  apply: (s) => ({ ...s, evidence: setVersion(s.evidence, v) }),
});

runVerifierContract({
  verifier: snpVerifier,
  sample: {
    name: 'milan-v2-vcek',
    evidence: milanVcek.report,
    collateral: { vcek: milanVcek.vcek },
    now: milanVcek.now,
    expected: { platform: 'sev-snp', measurement: milanVcek.measurement, reportData: milanVcek.reportData, tcbStatus: 'NotApplicable', debug: true },
  },
  signedRegions,
  signatureRegions,
  certificates: [{ name: 'VCEK', collateral: 'vcek' }],
  mutations: [
    swapCollateral('the ASK/ARK of Genoa is given for a Milan report', 'ask-ark', roots.genoa, 'chain-untrusted'),
    swapCollateral('the ASVK (VLEK chain) is given for a VCEK-signed report', 'ask-ark', roots.milanVlek, 'chain-untrusted'),
    swapCollateral('the VCEK of another Milan chip is given', 'vcek', milanVirtee.vcek, 'bad-signature'),
    swapCollateral('the ASK is given in place of the VCEK', 'vcek', roots.milan, 'malformed'),
    swapCollateral('no VCEK is given', 'vcek', undefined, 'collateral-missing'),
    swapCollateral('the VCEK is not a certificate', 'vcek', new Uint8Array([0x30, 0x03, 1, 2, 3]), 'malformed'),
    versionMutation(1),
    versionMutation(4),
    versionMutation(6),
  ],
  clock: {
    expired: { at: new Date('2029-09-25T00:00:00Z'), reason: 'cert-expired' },
    notYetValid: { at: new Date('2022-09-23T00:00:00Z'), reason: 'cert-not-yet-valid' },
  },
  foreignEvidence: [new Uint8Array(Buffer.from('SEALSIM\0')), new Uint8Array(1184)],
});

runVerifierContract({
  verifier: snpVerifier,
  sample: {
    name: 'milan-v2-virtee with its ASK/ARK',
    evidence: milanVirtee.report,
    collateral: { vcek: milanVirtee.vcek, 'ask-ark': milanVirtee.askArk },
    now: milanVirtee.now,
    expected: { platform: 'sev-snp', measurement: milanVirtee.measurement, reportData: milanVirtee.reportData, tcbStatus: 'NotApplicable', debug: false },
  },
  signedRegions: signedRegions.filter((r) => ['MEASUREMENT', 'REPORT_DATA', 'POLICY', 'CHIP_ID', 'REPORTED_TCB'].includes(r.name)),
  signatureRegions,
  certificates: [
    { name: 'VCEK', collateral: 'vcek' },
    { name: 'ASK', collateral: 'ask-ark', index: 0 },
    { name: 'ARK', collateral: 'ask-ark', index: 1 },
  ],
  mutations: [swapCollateral('the Turin ASK/ARK is given for a Milan report', 'ask-ark', roots.turin, 'chain-untrusted')],
  clock: { expired: { at: new Date('2030-04-04T00:00:00Z'), reason: 'cert-expired' } },
});

const { ark, ask, vcek } = genoaTsm.certs;
const withTable = (entries: Parameters<typeof certTable>[0]): Mutation['apply'] => () => ({ evidence: tsmEvidence(genoaTsm.report, certTable(entries)), collateral: {} });
runVerifierContract({
  verifier: snpVerifier,
  sample: {
    name: 'genoa-v3-configfs-tsm (certificates from the auxblob)',
    evidence: genoaTsm.json,
    collateral: {},
    now: genoaTsm.now,
    expected: { platform: 'sev-snp', measurement: genoaTsm.measurement, reportData: genoaTsm.reportData, tcbStatus: 'NotApplicable', debug: false },
  },
  body: { bytes: genoaTsm.report, wrap: (report) => tsmEvidence(report, genoaTsm.aux) },
  // The file ends with a newline, so dropping only the last byte leaves valid JSON: cut two.
  truncations: [0, 1, 2, 8, 64, Math.floor(genoaTsm.json.length / 2), genoaTsm.json.length - 2],
  signedRegions: signedRegions.filter((r) => ['MEASUREMENT', 'REPORT_DATA', 'HOST_DATA', 'POLICY', 'CPUID', 'CHIP_ID', 'REPORTED_TCB'].includes(r.name)),
  signatureRegions,
  mutations: [
    { name: 'the auxblob VCEK has a flipped signature byte', reason: 'chain-untrusted', apply: withTable([{ name: 'ark', der: ark }, { name: 'ask', der: ask }, { name: 'vcek', der: breakCertificateSignature(vcek) }]) },
    { name: 'the auxblob ASK has a flipped signature byte', reason: 'chain-untrusted', apply: withTable([{ name: 'ark', der: ark }, { name: 'ask', der: breakCertificateSignature(ask) }, { name: 'vcek', der: vcek }]) },
    { name: 'the auxblob ARK has a flipped signature byte', reason: 'chain-untrusted', apply: withTable([{ name: 'ark', der: breakCertificateSignature(ark) }, { name: 'ask', der: ask }, { name: 'vcek', der: vcek }]) },
    { name: 'the auxblob VCEK entry is labelled as a VLEK', reason: 'collateral-missing', apply: withTable([{ name: 'ark', der: ark }, { name: 'ask', der: ask }, { name: 'vlek', der: vcek }]) },
    { name: 'the auxblob has no VCEK', reason: 'collateral-missing', apply: withTable([{ name: 'ark', der: ark }, { name: 'ask', der: ask }]) },
    { name: 'the collateral ASK/ARK is Milan\'s', reason: 'chain-untrusted', apply: (s) => ({ ...s, collateral: { 'ask-ark': roots.milan } }) },
    { name: 'the auxblob is empty and no VCEK is given', reason: 'collateral-missing', apply: () => ({ evidence: tsmEvidence(genoaTsm.report, undefined), collateral: {} }) },
    { name: 'the provider is not sev_guest', reason: 'malformed', apply: () => ({ evidence: tsmEvidence(genoaTsm.report, genoaTsm.aux, 'tdx_guest\n'), collateral: {} }) },
    {
      name: 'an auxblob entry points outside the blob',
      reason: 'malformed',
      apply: () => {
        const aux = new Uint8Array(genoaTsm.aux);
        Buffer.from(aux.buffer).writeUInt32LE(aux.length, 20);
        return { evidence: tsmEvidence(genoaTsm.report, aux), collateral: {} };
      },
    },
    { name: 'the auxblob has no terminating entry', reason: 'malformed', apply: () => ({ evidence: tsmEvidence(genoaTsm.report, genoaTsm.aux.slice(0, 30)), collateral: {} }) },
  ],
  clock: {
    expired: { at: new Date('2032-04-21T00:00:00Z'), reason: 'cert-expired' },
    notYetValid: { at: new Date('2025-04-19T00:00:00Z'), reason: 'cert-not-yet-valid' },
  },
});

runPolicyContract({ name: 'milan-v2-vcek (debug)', claims: () => snpVerifier.verify(milanVcek.report, { vcek: milanVcek.vcek }, { now: milanVcek.now }) });
runPolicyContract({ name: 'milan-v2-virtee', claims: () => snpVerifier.verify(milanVirtee.report, { vcek: milanVirtee.vcek }, { now: milanVirtee.now }) });
runPolicyContract({ name: 'genoa-v3-configfs-tsm', claims: () => snpVerifier.verify(genoaTsm.json, {}, { now: genoaTsm.now }) });

test('flipping any byte of the VCEK inside the configfs-tsm auxblob is refused, never a crash', async () => {
  for (let at = 0; at < vcek.length; at += 11) {
    const evidence = tsmEvidence(genoaTsm.report, certTable([{ name: 'ark', der: ark }, { name: 'ask', der: ask }, { name: 'vcek', der: flipByte(vcek, at) }]));
    await refusal(snpVerifier, { evidence, collateral: {} }, genoaTsm.now);
  }
});

describe('SEV-SNP reports', () => {
  test('a raw report taken from configfs-tsm verifies with the VCEK given separately and the embedded Genoa chain', async () => {
    const claims = await snpVerifier.verify(genoaTsm.report, { vcek: vcek }, { now: genoaTsm.now });
    assert.equal(claims.measurement, genoaTsm.measurement);
    assert.equal(claims.details['product'], 'Genoa');
  });

  test('the Genoa v3 report exposes CPUID, firmware versions, TCB versions and policy bits', async () => {
    const c = await snpVerifier.verify(genoaTsm.json, {}, { now: genoaTsm.now });
    assert.equal(c.platform, 'sev-snp');
    if (c.platform !== 'sev-snp') return;
    assert.equal(c.details.version, 3);
    assert.deepEqual(c.details['cpuid'], { family: 0x19, model: 0x11, stepping: 1 });
    assert.deepEqual(c.details['firmware'], { current: '1.55.40', committed: '1.55.40' });
    assert.deepEqual(c.details.reportedTcb, { bootloader: 10, tee: 0, snp: 23, microcode: 84, raw: '541700000000000a' });
    assert.equal(c.details.policy.smt, true);
    assert.equal(c.details.policy.migrateMa, false);
    assert.equal(c.details.vmpl, 0);
    assert.equal(c.details.platformInfo.smtEnabled, true);
    assert.equal(c.details.signingKey, 'vcek');
  });

  test('a version 5 report is parsed with its mitigation vectors and its signature is checked', async () => {
    const v5 = setVersion(milanVcek.report, 5);
    Buffer.from(v5.buffer).writeBigUInt64LE(0x3n, 0x1f8);
    const r = parseReport(v5);
    assert.equal(r.version, 5);
    assert.equal(r.launchMitVector, '3');
    assert.deepEqual(r.cpuid, { family: 0, model: 0, stepping: 0 });
    assert.equal(await refusal(snpVerifier, { evidence: v5, collateral: { vcek: milanVcek.vcek } }, milanVcek.now), 'bad-signature');
  });

  test('a report that says it is unsigned is refused as a bad signature', async () => {
    const unsigned = new Uint8Array(milanVcek.report);
    unsigned[0x48] = 7 << 2;
    assert.equal(await refusal(snpVerifier, { evidence: unsigned, collateral: { vcek: milanVcek.vcek } }, milanVcek.now), 'bad-signature');
  });

  test('Turin TCB versions use the Turin layout (FMC first)', () => {
    const raw = Uint8Array.from([1, 2, 3, 4, 0, 0, 0, 9]);
    assert.deepEqual(decodeTcb(raw, 'Turin'), { fmc: 1, bootloader: 2, tee: 3, snp: 4, microcode: 9, raw: '0900000004030201' });
    assert.deepEqual(decodeTcb(raw, 'Milan'), { bootloader: 1, tee: 2, snp: 0, microcode: 9, raw: '0900000004030201' });
  });
});

describe("the VCEK's TCB extensions and hwID against the report", () => {
  const report: SnpReport = parseReport(milanVcek.report);
  const tcb = { bootloader: 2, tee: 0, snp: 5, microcode: 68 };
  test('a VCEK whose SPLs and hwID equal REPORTED_TCB and CHIP_ID is accepted', () => {
    assert.equal(reasonOf(() => checkTcb(report, 'Milan', 'vcek', { tcb, hwId: report.chipId })), 'accepted');
  });
  for (const f of ['bootloader', 'tee', 'snp', 'microcode'] as const) {
    test(`a VCEK for another ${f} SPL is refused as a TCB mismatch`, () => {
      assert.equal(reasonOf(() => checkTcb(report, 'Milan', 'vcek', { tcb: { ...tcb, [f]: tcb[f] + 1 }, hwId: report.chipId })), 'tcb-mismatch');
    });
  }
  test('a VCEK without SPL extensions is refused as a TCB mismatch', () => {
    assert.equal(reasonOf(() => checkTcb(report, 'Milan', 'vcek', { tcb: {}, hwId: report.chipId })), 'tcb-mismatch');
  });
  test('a VCEK for another chip id is refused as a TCB mismatch', () => {
    assert.equal(reasonOf(() => checkTcb(report, 'Milan', 'vcek', { tcb, hwId: flipByte(report.chipId, 5) })), 'tcb-mismatch');
    assert.equal(reasonOf(() => checkTcb(report, 'Milan', 'vcek', { tcb })), 'tcb-mismatch');
  });
  test('a VLEK needs no hwID', () => {
    assert.equal(reasonOf(() => checkTcb(report, 'Milan', 'vlek', { tcb })), 'accepted');
  });
});
