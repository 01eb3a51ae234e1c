/**
 * Claims from a verified Intel quote (the shape of `Claims` in verifier.ts),
 * and the `EvidenceVerifier` adapter shared by `tdx/` and `sgx-dcap/`.
 */
import { AttestationError, type Claims, type Collateral, type EvidenceVerifier, type VerifyOptions } from '../verifier.js';
import { hex } from '../bytes.js';
import { sniffQuote } from './quote.js';
import { hexOf, sgxDebug, tdDebug } from './report-body.js';
import { verifyIntelQuote, type VerifiedQuote } from './verify.js';

function tcbDetails(v: VerifiedQuote): Record<string, unknown> & { fmspc: string; pceId: string; tcbDate: string; advisoryIds: readonly string[] } {
  return {
    fmspc: v.pck.fmspc,
    pceId: v.pck.pceId,
    tcbDate: v.tcb.tcbDate,
    advisoryIds: v.tcb.advisoryIds,
    platformTcbStatus: v.tcb.platformStatus,
    qeTcbStatus: v.tcb.qeStatus,
    pceSvn: v.pck.pceSvn,
    pckCpuSvnComponents: v.pck.cpuSvnComponents,
    sgxType: v.pck.sgxType,
    qeIsvSvn: v.quote.qeReport.isvSvn,
    collateralIssueDate: v.collateralIssueDate.toISOString(),
  };
}

export function claimsOf(v: VerifiedQuote): Claims {
  const b = v.quote.body;
  const base = { reportData: hex(b.reportData), tcbStatus: v.tcb.status };
  if (b.kind === 'sgx') {
    return {
      platform: 'sgx',
      ...base,
      measurement: hex(b.mrEnclave),
      debug: sgxDebug(b),
      details: {
        ...tcbDetails(v),
        quoteVersion: v.quote.header.version,
        mrSigner: hex(b.mrSigner),
        isvProdId: b.isvProdId,
        isvSvn: b.isvSvn,
        attributes: hex(b.attributes),
        miscSelect: b.miscSelect.toString(16).padStart(8, '0'),
        cpuSvn: hex(b.cpuSvn),
      },
    };
  }
  return {
    platform: 'tdx',
    ...base,
    measurement: hex(b.mrTd),
    debug: tdDebug(b),
    details: {
      ...tcbDetails(v),
      ...(v.tcb.tdxModuleStatus ? { tdxModuleTcbStatus: v.tcb.tdxModuleStatus } : {}),
      ...(v.tcb.tdxCurrentStatus ? { tdxCurrentTcbStatus: v.tcb.tdxCurrentStatus, tdxRelaunchAdvised: v.tcb.tdxRelaunchAdvised === true } : {}),
      quoteVersion: v.quote.header.version,
      tdReport: b.kind === 'td15' ? 'TDX 1.5' : 'TDX 1.0',
      teeTcbSvn: hex(b.teeTcbSvn),
      mrSeam: hex(b.mrSeam),
      mrSignerSeam: hex(b.mrSignerSeam),
      seamAttributes: hex(b.seamAttributes),
      tdAttributes: hex(b.tdAttributes),
      xfam: hex(b.xfam),
      mrConfigId: hex(b.mrConfigId),
      mrOwner: hex(b.mrOwner),
      mrOwnerConfig: hex(b.mrOwnerConfig),
      rtmr: [hex(b.rtmr[0]), hex(b.rtmr[1]), hex(b.rtmr[2]), hex(b.rtmr[3])],
      ...(b.kind === 'td15' ? { teeTcbSvn2: hexOf(b.teeTcbSvn2), mrServiceTd: hexOf(b.mrServiceTd) } : {}),
    },
  };
}

/** An `EvidenceVerifier` for DCAP quotes of one TEE type. */
export function intelVerifier(tee: 'sgx' | 'tdx'): EvidenceVerifier {
  return {
    platform: tee,
    sniff: (evidence) => sniffQuote(evidence, tee),
    verify(evidence: Uint8Array, collateral: Collateral, opts: VerifyOptions): Promise<Claims> {
      try {
        return Promise.resolve(claimsOf(verifyIntelQuote(evidence, collateral, opts.now, tee)));
      } catch (e) {
        if (e instanceof AttestationError) return Promise.reject(e);
        // Defence in depth: the parsers bound-check every read, so this is a bug, never a pass.
        return Promise.reject(new AttestationError('malformed', `unreadable ${tee.toUpperCase()} quote or collateral (${(e as Error).message})`));
      }
    },
  };
}
