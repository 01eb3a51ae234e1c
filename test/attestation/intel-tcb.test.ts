/**
 * TCB evaluation (src/attestation/intel/tcb.ts) on the real TCB info and QE
 * identity documents of the samples, with the PCK / report values varied.
 * These are the evaluation rules alone; signatures are covered elsewhere.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIntelCollateral } from '../../src/attestation/intel/collateral-set.js';
import type { PckExtensions } from '../../src/attestation/intel/pck-extensions.js';
import { parseTcbInfo } from '../../src/attestation/intel/pcs-json.js';
import { parseQuote } from '../../src/attestation/intel/quote.js';
import type { SgxReportBody, TdReportBody } from '../../src/attestation/intel/report-body.js';
import { convergeStatus, evaluateTcb, evaluateTdxModule, matchPlatformLevel, matchQeIdentity, relaunchAdvised } from '../../src/attestation/intel/tcb.js';
import { AttestationError, type TcbStatus } from '../../src/attestation/verifier.js';
import { sgxV3Dcap, tdxV4Spr, tdxV5Sample } from './intel-fixtures.js';

const sgx = parseIntelCollateral(sgxV3Dcap().collateral);
const sgxInfo = sgx.tcbInfo!.parsed;
const sgxQe = sgx.qeIdentity!.parsed;
const v5Info = parseIntelCollateral(tdxV5Sample().collateral).tcbInfo!.parsed;
const v4Col = parseIntelCollateral(tdxV4Spr().collateral);

function pck(components: number[], pceSvn: number, fmspc = sgxInfo.fmspc): PckExtensions {
  const c = [...components, ...Array<number>(16 - components.length).fill(0)];
  return { ppid: '00'.repeat(16), cpuSvnComponents: c, pceSvn, cpuSvn: '00'.repeat(16), pceId: '0000', fmspc, sgxType: 'Standard' };
}

const isMismatch = (e: unknown): boolean => e instanceof AttestationError && e.reason === 'tcb-mismatch';

describe('SGX platform TCB level (first level whose components and PCESVN are all ≤ the PCK\'s)', () => {
  const cases: [string, number[], number, TcbStatus][] = [
    ['the newest level', [11, 11, 2, 2, 255, 1, 12], 13, 'SWHardeningNeeded'],
    ['higher SVNs than any level', [20, 20, 9, 9, 255, 9, 20], 20, 'SWHardeningNeeded'],
    ['component 7 below the newest level', [11, 11, 2, 2, 255, 1, 0], 13, 'ConfigurationAndSWHardeningNeeded'],
    ['an older microcode', [10, 10, 2, 2, 255, 1, 12], 13, 'OutOfDate'],
    ['an older microcode without component 7', [10, 10, 2, 2, 255, 1, 0], 13, 'OutOfDateConfigurationNeeded'],
    ['an older PCESVN', [5, 5, 2, 2, 255, 1, 4], 10, 'OutOfDate'],
    ['the oldest level', [5, 5, 2, 2, 255, 1, 0], 5, 'OutOfDate'],
  ];
  for (const [name, comps, pce, want] of cases) {
    test(`${name} → ${want}`, () => assert.equal(matchPlatformLevel(sgxInfo, pck(comps, pce)).tcbStatus, want));
  }
  test('a TCB below every level is "TCB not supported" (tcb-mismatch)', () => {
    assert.throws(() => matchPlatformLevel(sgxInfo, pck([4, 4, 2, 2, 255, 1], 13)), isMismatch);
    assert.throws(() => matchPlatformLevel(sgxInfo, pck([11, 11, 2, 2, 255, 1, 12], 4)), isMismatch);
  });
});

describe('QE identity (MRSIGNER, ISVPRODID, masked MISCSELECT/ATTRIBUTES, then ISVSVN levels)', () => {
  const qe = parseQuote(sgxV3Dcap().evidence).qeReport;
  const withSvn = (isvSvn: number): SgxReportBody => ({ ...qe, isvSvn });
  test('the sample QE (ISVSVN 10) is UpToDate; 7 is OutOfDate; 0 is below every level', () => {
    assert.equal(matchQeIdentity(sgxQe, withSvn(10)).tcbStatus, 'UpToDate');
    assert.equal(matchQeIdentity(sgxQe, withSvn(7)).tcbStatus, 'OutOfDate');
    assert.throws(() => matchQeIdentity(sgxQe, withSvn(0)), isMismatch);
  });
  test('another signer, product id or attribute bit is a mismatch', () => {
    assert.throws(() => matchQeIdentity(sgxQe, { ...qe, mrSigner: new Uint8Array(32) }), isMismatch);
    assert.throws(() => matchQeIdentity(sgxQe, { ...qe, isvProdId: 2 }), isMismatch);
    const attributes = new Uint8Array(qe.attributes);
    attributes[0]! ^= 0x02; // DEBUG is inside the mask
    assert.throws(() => matchQeIdentity(sgxQe, { ...qe, attributes }), isMismatch);
    const masked = new Uint8Array(qe.attributes);
    masked[0]! ^= 0x04; // bit 2 is outside the mask FB…
    assert.equal(matchQeIdentity(sgxQe, { ...qe, attributes: masked }).tcbStatus, 'UpToDate');
  });
  test('the TD QE of the v4 sample matches the TD_QE identity', () => {
    assert.equal(matchQeIdentity(v4Col.qeIdentity!.parsed, parseQuote(tdxV4Spr().evidence).qeReport).tcbStatus, 'UpToDate');
  });
});

describe('TDX module and TDX components', () => {
  const body = parseQuote(tdxV5Sample().evidence).body as TdReportBody;
  const withSvn = (minor: number, major: number): TdReportBody => {
    const teeTcbSvn = new Uint8Array(body.teeTcbSvn);
    teeTcbSvn[0] = minor;
    teeTcbSvn[1] = major;
    return { ...body, teeTcbSvn };
  };
  test('module TDX_01 SVN 11 is UpToDate, SVN 5 OutOfDate (with advisories), SVN 1 below every level', () => {
    assert.equal(evaluateTdxModule(v5Info, withSvn(11, 1)).level?.tcbStatus, 'UpToDate');
    const old = evaluateTdxModule(v5Info, withSvn(5, 1)).level;
    assert.equal(old?.tcbStatus, 'OutOfDate');
    assert.deepEqual(old?.advisoryIds, ['INTEL-SA-01036', 'INTEL-SA-01099']);
    assert.throws(() => evaluateTdxModule(v5Info, withSvn(1, 1)), isMismatch);
  });
  test('a module version without identity (TDX_02) or another SEAM signer is a mismatch', () => {
    assert.throws(() => evaluateTdxModule(v5Info, withSvn(11, 2)), isMismatch);
    assert.throws(() => evaluateTdxModule(v5Info, { ...body, mrSignerSeam: new Uint8Array(48).fill(1) }), isMismatch);
  });
  test('TEE_TCB_SVN bytes 2.. decide between TDX levels (late microcode 3 → 2024-11-13, 2 → 2024-03-13)', () => {
    const p = pck([4, 4, 2, 2, 4, 1, 0, 5], 13, v5Info.fmspc);
    const svn = new Uint8Array(body.teeTcbSvn);
    assert.equal(matchPlatformLevel(v5Info, p, svn, true).tcbStatus, 'UpToDate');
    svn[2] = 2;
    const older = matchPlatformLevel(v5Info, p, svn, true);
    assert.equal(older.tcbStatus, 'OutOfDate');
    assert.equal(older.tcbDate, '2024-03-13T00:00:00Z');
  });
});

describe('status convergence (platform with QE / TDX module status)', () => {
  const table: [TcbStatus, TcbStatus, TcbStatus][] = [
    ['UpToDate', 'UpToDate', 'UpToDate'],
    ['SWHardeningNeeded', 'UpToDate', 'SWHardeningNeeded'],
    ['UpToDate', 'OutOfDate', 'OutOfDate'],
    ['SWHardeningNeeded', 'OutOfDate', 'OutOfDate'],
    ['ConfigurationNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded'],
    ['ConfigurationAndSWHardeningNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded'],
    ['OutOfDate', 'UpToDate', 'OutOfDate'],
    ['UpToDate', 'Revoked', 'Revoked'],
    ['Revoked', 'UpToDate', 'Revoked'],
  ];
  for (const [platform, other, want] of table) test(`${platform} with ${other} → ${want}`, () => assert.equal(convergeStatus(platform, other), want));

  test('a Revoked TCB level is reported as status Revoked (the policy refuses it), not thrown', () => {
    const doc = JSON.parse(Buffer.from(sgxV3Dcap().collateral['tcb-info']!).toString('utf8')) as { tcbLevels: { tcbStatus: string }[] };
    doc.tcbLevels[0]!.tcbStatus = 'Revoked';
    const info = parseTcbInfo(doc);
    const q = parseQuote(sgxV3Dcap().evidence);
    const result = evaluateTcb(info, sgxQe, pck([11, 11, 2, 2, 255, 1, 12], 13), q.body, q.qeReport);
    assert.equal(result.status, 'Revoked');
  });

  test('advisories of the platform level and the QE level are merged without duplicates', () => {
    const q = parseQuote(sgxV3Dcap().evidence);
    const qe = { ...q.qeReport, isvSvn: 5 };
    const r = evaluateTcb(sgxInfo, sgxQe, pck([11, 11, 2, 2, 255, 1, 0], 13), q.body, qe);
    assert.equal(r.status, 'OutOfDateConfigurationNeeded');
    assert.deepEqual(r.advisoryIds, ['INTEL-SA-00289', 'INTEL-SA-00615', 'INTEL-SA-00477']);
  });
});

describe('TDX 1.5: launch TCB (TEE_TCB_SVN) and current TCB (TEE_TCB_SVN_2)', () => {
  const q = parseQuote(tdxV5Sample().evidence);
  const body = q.body as TdReportBody;
  const p = pck([4, 4, 2, 2, 4, 1, 0, 5], 13, v5Info.fmspc);
  // The v5 sample ships no QE identity; the TD_QE identity of the v4 sample stands in (same TD QE signer).
  const tdQe = v4Col.qeIdentity!.parsed;
  const withMinor = (svn: Uint8Array, minor: number): Uint8Array => {
    const out = new Uint8Array(svn);
    out[0] = minor;
    return out;
  };

  test('the sample is UpToDate at launch and now, with no relaunch advised', () => {
    const r = evaluateTcb(v5Info, tdQe, p, body, q.qeReport);
    assert.equal(r.status, 'UpToDate');
    assert.equal(r.tdxCurrentStatus, 'UpToDate');
    assert.equal(r.tdxRelaunchAdvised, false);
  });

  test('a TD launched under an out-of-date module now updated is OutOfDate with a relaunch advised', () => {
    const r = evaluateTcb(v5Info, tdQe, p, { ...body, teeTcbSvn: withMinor(body.teeTcbSvn, 5) }, q.qeReport);
    assert.equal(r.status, 'OutOfDate');
    assert.equal(r.tdxCurrentStatus, 'UpToDate');
    assert.equal(r.tdxRelaunchAdvised, true);
    assert.deepEqual(r.advisoryIds, ['INTEL-SA-01036', 'INTEL-SA-01099']);
  });

  test('relaunch is advised only from an out-of-date launch to a current TCB that is not', () => {
    assert.equal(relaunchAdvised('OutOfDate', 'UpToDate'), true);
    assert.equal(relaunchAdvised('OutOfDateConfigurationNeeded', 'ConfigurationNeeded'), true);
    assert.equal(relaunchAdvised('OutOfDate', 'OutOfDate'), false);
    assert.equal(relaunchAdvised('UpToDate', 'UpToDate'), false);
    assert.equal(relaunchAdvised('OutOfDate', 'Revoked'), false);
  });
});
