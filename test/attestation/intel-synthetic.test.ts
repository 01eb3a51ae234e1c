/**
 * End to end on SYNTHETIC TDX evidence under a generated test root (see
 * intel-synthetic.ts): what the real samples cannot show — a TDX quote that is
 * accepted (the shared contract's acceptance case), revocation through the
 * full verifier, and the tcb-mismatch checks. Real Intel data is tested in
 * tdx.test.ts and sgx-dcap.test.ts; nothing here chains to Intel's root.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tdxVerifier } from '../../src/attestation/tdx/index.js';
import type { TdxDetails } from '../../src/attestation/verifier.js';
import { refusal, runPolicyContract, runVerifierContract, swapCollateral } from './contract.js';
import { quoteRegions } from './intel-quote-edit.js';
import { SYNTHETIC_MRTD, SYNTHETIC_REPORT_DATA, syntheticTdx, type SyntheticOptions } from './intel-synthetic.js';

const base = syntheticTdx();
const { signedRegions, signatureRegions } = quoteRegions(base.evidence);
const refusedWith = async (opts: SyntheticOptions): Promise<string> => {
  const s = syntheticTdx(opts);
  return refusal(tdxVerifier, s, s.now);
};

runVerifierContract({
  verifier: tdxVerifier,
  sample: {
    name: 'synthetic TDX v4 under a test root',
    evidence: base.evidence,
    collateral: base.collateral,
    now: base.now,
    expected: { platform: 'tdx', measurement: SYNTHETIC_MRTD, reportData: SYNTHETIC_REPORT_DATA, tcbStatus: 'UpToDate', debug: false },
  },
  signedRegions,
  signatureRegions,
  certificates: [
    { name: 'TCB Signing', collateral: 'tcb-info-issuer-chain', index: 0 },
    { name: 'QE identity TCB Signing', collateral: 'qe-identity-issuer-chain', index: 0 },
    { name: 'PCK CRL issuer', collateral: 'pck-crl-issuer-chain', index: 0 },
  ],
  mutations: [
    swapCollateral('the test root is not allowed (the pinned Intel root applies)', 'intel-root-ca', undefined, 'chain-untrusted'),
    swapCollateral('no QE identity is given', 'qe-identity', undefined, 'collateral-missing'),
  ],
  clock: {
    expired: { at: new Date('2030-06-01T00:00:00Z'), reason: 'cert-expired' },
    notYetValid: { at: new Date('2023-06-01T00:00:00Z'), reason: 'cert-not-yet-valid' },
  },
});

runPolicyContract({ name: 'synthetic TDX v4', claims: () => tdxVerifier.verify(base.evidence, base.collateral, { now: base.now }) });

describe('synthetic TDX: claims, revocation and TCB checks through the full verifier', () => {
  test('reports MRTD, RTMRs, TD attributes and the TCB of the matched levels', async () => {
    const c = await tdxVerifier.verify(base.evidence, base.collateral, { now: base.now });
    assert.equal(c.platform, 'tdx');
    const d = c.details as TdxDetails;
    assert.deepEqual(d.rtmr, ['20', '21', '22', '23'].map((b) => b.repeat(48)));
    assert.equal(d.tdAttributes, '0000001000000000');
    assert.equal(d.teeTcbSvn, '03000500000000000000000000000000');
    assert.equal(d.fmspc, '50806f000000');
    assert.equal(d['collateralIssueDate'], '2025-02-20T00:00:00.000Z');
  });

  test('a PCK listed in the PCK CRL is revoked', async () => assert.equal(await refusedWith({ revokePck: true }), 'revoked'));
  test('a PCK CA listed in the root CA CRL is revoked', async () => assert.equal(await refusedWith({ revokePckCa: true }), 'revoked'));
  test('a TCB Signing certificate listed in the root CA CRL is revoked', async () => assert.equal(await refusedWith({ revokeTcbSigning: true }), 'revoked'));

  test('a PCK whose FMSPC or PCE-ID is not the TCB info\'s is a tcb-mismatch', async () => {
    assert.equal(await refusedWith({ platform: { fmspc: '00906ea10000' } }), 'tcb-mismatch');
    assert.equal(await refusedWith({ platform: { pceId: '0001' } }), 'tcb-mismatch');
  });

  test('SGX TCB info for a TDX quote, or a QE identity of another enclave, is a tcb-mismatch', async () => {
    assert.equal(await refusedWith({ tcbInfo: (i) => void (i['id'] = 'SGX') }), 'tcb-mismatch');
    assert.equal(await refusedWith({ qeIdentity: (i) => void (i['id'] = 'QE') }), 'tcb-mismatch');
    assert.equal(await refusedWith({ qeIdentity: (i) => void (i['mrsigner'] = 'AB'.repeat(32)) }), 'tcb-mismatch');
  });

  test('a TDX module signer other than the TCB info\'s is a tcb-mismatch', async () => {
    assert.equal(await refusedWith({ tcbInfo: (i) => void (i['tdxModule'] = { mrsigner: '01'.repeat(48), attributes: '0000000000000000', attributesMask: 'FFFFFFFFFFFFFFFF' }) }), 'tcb-mismatch');
  });

  test('older platform components, TEE TCB SVN or QE SVN give OutOfDate; below every level, tcb-mismatch', async () => {
    const status = async (opts: SyntheticOptions): Promise<string> => {
      const s = syntheticTdx(opts);
      return (await tdxVerifier.verify(s.evidence, s.collateral, { now: s.now })).tcbStatus;
    };
    assert.equal(await status({ platform: { components: [4, 5, 2, 2, 3, 1, 0, 3] } }), 'OutOfDate');
    assert.equal(await status({ teeTcbSvn: [3, 0, 4] }), 'OutOfDate');
    assert.equal(await status({ qeIsvSvn: 2 }), 'OutOfDate');
    assert.equal(await refusedWith({ teeTcbSvn: [1, 0, 5] }), 'tcb-mismatch');
  });

  test('a Revoked TCB level is reported as status Revoked, for the policy to refuse', async () => {
    const s = syntheticTdx({ tcbInfo: (i) => void ((i['tcbLevels'] as Record<string, unknown>[])[0]!['tcbStatus'] = 'Revoked') });
    assert.equal((await tdxVerifier.verify(s.evidence, s.collateral, { now: s.now })).tcbStatus, 'Revoked');
  });

  test('collateral past its next update is collateral-expired; the certificates are still valid', async () => {
    assert.equal(await refusal(tdxVerifier, base, new Date('2025-03-21T00:00:00Z')), 'collateral-expired');
  });
});
