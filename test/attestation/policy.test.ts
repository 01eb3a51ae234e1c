import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { applyPolicy, definePolicy, DEFAULT_POLICY, type PolicyInput } from '../../src/attestation/policy.js';
import { verifyEvidence } from '../../src/attestation/index.js';
import { snpVerifier } from '../../src/attestation/sev-snp/index.js';
import { createSimEvidence, simVerifier } from '../../src/attestation/sim/index.js';
import { AttestationError, type Claims } from '../../src/attestation/verifier.js';
import { genoaTsm, milanVcek, milanVirtee } from './snp-samples.js';
import { reasonOf } from './reason.js';


const milan = await snpVerifier.verify(milanVcek.report, { vcek: milanVcek.vcek }, { now: milanVcek.now });
const genoa = await snpVerifier.verify(genoaTsm.json, {}, { now: genoaTsm.now });
const virtee = await snpVerifier.verify(milanVirtee.report, { vcek: milanVirtee.vcek }, { now: milanVirtee.now });
const allowing = (c: Claims, more: PolicyInput['sev-snp'] = {}) => definePolicy({ 'sev-snp': { measurements: [c.measurement], ...more } });

describe('attestation policy (SEV-SNP)', () => {
  test('the default policy refuses every measurement', () => {
    assert.equal(reasonOf(() => applyPolicy(genoa, DEFAULT_POLICY)), 'measurement-not-allowed');
  });

  test('milan-v2-vcek is refused as debug under a policy that allows its measurement but not debug', () => {
    assert.equal(reasonOf(() => applyPolicy(milan, allowing(milan))), 'debug-not-allowed');
  });

  test('milan-v2-vcek is accepted under a policy that allows its measurement and debug', () => {
    assert.equal(reasonOf(() => applyPolicy(milan, allowing(milan, { allowDebug: true }))), 'accepted');
  });

  test('genoa-v3 and milan-v2-virtee are accepted when their measurements are allowed', () => {
    assert.equal(reasonOf(() => applyPolicy(genoa, allowing(genoa))), 'accepted');
    assert.equal(reasonOf(() => applyPolicy(virtee, allowing(virtee))), 'accepted');
  });

  test('host data must be in the list when the policy lists host data', () => {
    assert.equal(reasonOf(() => applyPolicy(genoa, allowing(genoa, { hostData: ['11'.repeat(32)] }))), 'measurement-not-allowed');
    assert.equal(reasonOf(() => applyPolicy(genoa, allowing(genoa, { hostData: ['00'.repeat(32)] }))), 'accepted');
  });

  test('a reported TCB below the per-component minimum is refused, and it outranks the measurement', () => {
    // genoa REPORTED_TCB: bootloader 10, tee 0, snp 23, microcode 84
    assert.equal(reasonOf(() => applyPolicy(genoa, allowing(genoa, { minTcb: { snp: 23, microcode: 84 } }))), 'accepted');
    assert.equal(reasonOf(() => applyPolicy(genoa, allowing(genoa, { minTcb: { microcode: 85 } }))), 'tcb-not-accepted');
    assert.equal(reasonOf(() => applyPolicy(genoa, definePolicy({ 'sev-snp': { minTcb: { bootloader: 11 } } }))), 'tcb-not-accepted');
  });

  test('SMT, VMPL and guest SVN limits are policy violations', () => {
    assert.equal(reasonOf(() => applyPolicy(genoa, allowing(genoa, { allowSmt: false }))), 'policy-violation');
    assert.equal(reasonOf(() => applyPolicy(genoa, allowing(genoa, { minGuestSvn: 1 }))), 'policy-violation');
    const vmpl2 = { ...genoa, details: { ...genoa.details, vmpl: 2 } } as Claims;
    assert.equal(reasonOf(() => applyPolicy(vmpl2, allowing(genoa))), 'policy-violation');
    assert.equal(reasonOf(() => applyPolicy(vmpl2, allowing(genoa, { maxVmpl: 2 }))), 'accepted');
  });

  test('a guest bound to a migration agent is refused unless the policy allows it', () => {
    if (genoa.platform !== 'sev-snp') throw new Error('unreachable');
    const ma = { ...genoa, details: { ...genoa.details, policy: { ...genoa.details.policy, migrateMa: true } } } as Claims;
    assert.equal(reasonOf(() => applyPolicy(ma, allowing(genoa))), 'policy-violation');
    assert.equal(reasonOf(() => applyPolicy(ma, allowing(genoa, { allowMigrationAgent: true }))), 'accepted');
  });

  test('report data must equal the expected value (zero-padded to 64 bytes), after the other checks', () => {
    assert.equal(reasonOf(() => applyPolicy(milan, allowing(milan, { allowDebug: true }), { expectedReportData: '0102030405' })), 'accepted');
    assert.equal(reasonOf(() => applyPolicy(milan, allowing(milan, { allowDebug: true }), { expectedReportData: '0102030406' })), 'report-data-mismatch');
    assert.equal(reasonOf(() => applyPolicy(milan, allowing(milan), { expectedReportData: '0102030406' })), 'debug-not-allowed');
  });
});

describe('attestation policy (sim)', () => {
  const root = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  const now = new Date('2026-01-01T00:00:00Z');
  const ev = createSimEvidence(root.privateKey, { measurement: new Uint8Array(48).fill(7), reportData: new Uint8Array([9]), runId: 'r', timestamp: now });
  const collateral = { 'sim-root-key': new Uint8Array(Buffer.from(root.publicKey.export({ type: 'spki', format: 'pem' }))) };
  const m = '07'.repeat(48);

  test('sim evidence is refused unless the policy sets allowSimulated', async () => {
    const claims = await simVerifier.verify(ev, collateral, { now });
    assert.equal(reasonOf(() => applyPolicy(claims, definePolicy({ sim: { measurements: [m] } }))), 'simulated-not-allowed');
    assert.equal(reasonOf(() => applyPolicy(claims, definePolicy({ sim: { measurements: [m] }, allowSimulated: true }))), 'accepted');
  });

  test('simulated-not-allowed comes last: a wrong report data is reported first', async () => {
    const claims = await simVerifier.verify(ev, collateral, { now });
    assert.equal(reasonOf(() => applyPolicy(claims, definePolicy({ sim: { measurements: [m] } }), { expectedReportData: '08' })), 'report-data-mismatch');
  });

  test('verifyEvidence detects the type, verifies and applies the policy', async () => {
    const policy = definePolicy({ sim: { measurements: [m] }, allowSimulated: true });
    const claims = await verifyEvidence(ev, collateral, policy, { now, expectedReportData: '09' });
    assert.equal(claims.platform, 'sim');
    await assert.rejects(verifyEvidence(ev, collateral, policy, { now, platform: 'sev-snp' }), (e: unknown) => e instanceof AttestationError && e.reason === 'policy-violation');
    await assert.rejects(verifyEvidence(ev, collateral, undefined, { now, expectedReportData: '08' }), (e: unknown) => e instanceof AttestationError && e.reason === 'report-data-mismatch');
  });
});

describe('attestation policy (TDX and SGX claims)', () => {
  const hex = (b: number, n: number) => b.toString(16).padStart(2, '0').repeat(n);
  const tdx: Claims = {
    platform: 'tdx',
    measurement: hex(1, 48),
    reportData: hex(0, 64),
    debug: false,
    tcbStatus: 'SWHardeningNeeded',
    details: { quoteVersion: 4, fmspc: '00', pceId: '0000', advisoryIds: [], teeTcbSvn: '', mrSeam: '', mrSignerSeam: '', tdAttributes: '', xfam: '', mrConfigId: hex(5, 48), mrOwner: '', mrOwnerConfig: '', rtmr: [hex(2, 48), hex(3, 48), hex(4, 48), hex(6, 48)] },
  };
  const entry = { mrtd: hex(1, 48), rtmr0: hex(2, 48), rtmr1: hex(3, 48), rtmr2: hex(4, 48), rtmr3: hex(6, 48) };
  test('a TDX quote must match MRTD, every RTMR and, when given, MRCONFIGID', () => {
    const ok = definePolicy({ tdx: { measurements: [entry], acceptedTcbStatuses: ['UpToDate', 'SWHardeningNeeded'] } });
    assert.equal(reasonOf(() => applyPolicy(tdx, ok)), 'accepted');
    assert.equal(reasonOf(() => applyPolicy(tdx, definePolicy({ tdx: { measurements: [{ ...entry, rtmr2: hex(9, 48) }], acceptedTcbStatuses: ['SWHardeningNeeded'] } }))), 'measurement-not-allowed');
    assert.equal(reasonOf(() => applyPolicy(tdx, definePolicy({ tdx: { measurements: [{ ...entry, mrConfigId: hex(9, 48) }], acceptedTcbStatuses: ['SWHardeningNeeded'] } }))), 'measurement-not-allowed');
  });
  test('a TDX TCB status outside the accepted list is refused first', () => {
    assert.equal(reasonOf(() => applyPolicy(tdx, definePolicy({ tdx: { measurements: [entry] } }))), 'tcb-not-accepted');
  });
  test('collateral older than maxCollateralAgeDays is refused as expired', () => {
    const old = { ...tdx, details: { ...tdx.details, collateralIssueDate: '2025-01-01T00:00:00Z' } } as Claims;
    const p = definePolicy({ maxCollateralAgeDays: 30, tdx: { measurements: [entry], acceptedTcbStatuses: ['SWHardeningNeeded'] } });
    assert.equal(reasonOf(() => applyPolicy(old, p, { now: new Date('2025-01-20T00:00:00Z') })), 'accepted');
    assert.equal(reasonOf(() => applyPolicy(old, p, { now: new Date('2025-03-01T00:00:00Z') })), 'collateral-expired');
  });

  const sgx: Claims = {
    platform: 'sgx',
    measurement: hex(1, 32),
    reportData: hex(0, 64),
    debug: true,
    tcbStatus: 'UpToDate',
    details: { quoteVersion: 3, fmspc: '00', pceId: '0000', advisoryIds: [], mrSigner: hex(2, 32), isvProdId: 3, isvSvn: 4, attributes: '', miscSelect: '', cpuSvn: '' },
  };
  test('SGX: MRSIGNER is trusted only through a named signer entry with product id and minimum SVN', () => {
    const signer = { name: 'owner release key', mrSigner: hex(2, 32), prodId: 3, minSvn: 4 };
    assert.equal(reasonOf(() => applyPolicy(sgx, definePolicy({ sgx: { signers: [signer], allowDebug: true } }))), 'accepted');
    assert.equal(reasonOf(() => applyPolicy(sgx, definePolicy({ sgx: { signers: [{ ...signer, minSvn: 5 }], allowDebug: true } }))), 'measurement-not-allowed');
    assert.equal(reasonOf(() => applyPolicy(sgx, definePolicy({ sgx: { signers: [{ ...signer, prodId: 4 }], allowDebug: true } }))), 'measurement-not-allowed');
    assert.equal(reasonOf(() => applyPolicy(sgx, definePolicy({ sgx: { mrEnclaves: [hex(1, 32)] } }))), 'debug-not-allowed');
  });
});
