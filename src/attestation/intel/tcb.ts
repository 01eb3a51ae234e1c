/**
 * TCB status evaluation (Intel PCS API v4, TCB info "tcbLevels" semantics and
 * the DCAP Quote Verification Library's documented algorithm):
 * 1. Platform: the first TCB level (levels are sorted, newest first) whose 16
 *    SGX component SVNs are all ≤ the PCK certificate's, whose PCESVN ≤ the
 *    PCK's, and — for TDX — whose 16 TDX component SVNs are all ≤ the quote's
 *    TEE_TCB_SVN (bytes 0–1 are skipped when TEE_TCB_SVN[1], the TDX module
 *    major version, is non-zero: the module is then judged by its identity).
 *    No such level: the platform's TCB is not supported → `tcb-mismatch`.
 * 2. TDX module (TCB info v3): major version 0 → MRSIGNERSEAM/SEAMATTRIBUTES
 *    must match `tdxModule`; otherwise the identity "TDX_%02X" of
 *    `tdxModuleIdentities` must match and its first level with isvsvn ≤
 *    TEE_TCB_SVN[0] gives the module's status.
 * 3. QE: MRSIGNER, ISVPRODID, masked MISCSELECT and ATTRIBUTES of the QE report
 *    must equal the QE identity's; its first level with isvsvn ≤ the QE's ISVSVN
 *    gives the QE status.
 * 4. The final status is the platform status converged with the module and QE
 *    statuses: Revoked wins; OutOfDate turns UpToDate/SWHardeningNeeded into
 *    OutOfDate and Configuration(AndSWHardening)Needed into
 *    OutOfDateConfigurationNeeded.
 * A mismatch of identity fields is `tcb-mismatch`: the collateral does not
 * describe what the quote reports.
 */
import type { TcbStatus } from '../verifier.js';
import { hex } from '../bytes.js';
import { fail } from './reader.js';
import type { EnclaveIdentity, IsvSvnLevel, TcbInfo, TcbLevel } from './pcs-json.js';
import type { PckExtensions } from './pck-extensions.js';
import type { SgxReportBody, TdReportBody } from './report-body.js';

export interface TcbEvaluation {
  readonly status: TcbStatus;
  readonly advisoryIds: readonly string[];
  readonly tcbDate: string;
  readonly platformStatus: TcbStatus;
  readonly qeStatus: TcbStatus;
  readonly tdxModuleStatus?: TcbStatus;
  /** TDX 1.5: the status of TEE_TCB_SVN_2 (the module running now) and whether a relaunch is advised. */
  readonly tdxCurrentStatus?: TcbStatus;
  readonly tdxRelaunchAdvised?: boolean;
}

export function convergeStatus(platform: TcbStatus, other: TcbStatus): TcbStatus {
  if (other === 'Revoked') return 'Revoked';
  if (other === 'OutOfDate' || other === 'OutOfDateConfigurationNeeded') {
    if (platform === 'UpToDate' || platform === 'SWHardeningNeeded') return 'OutOfDate';
    if (platform === 'ConfigurationNeeded' || platform === 'ConfigurationAndSWHardeningNeeded') return 'OutOfDateConfigurationNeeded';
  }
  return platform;
}

function allAtLeast(have: ArrayLike<number>, need: readonly number[], from = 0): boolean {
  for (let i = from; i < need.length; i++) if ((have[i] ?? 0) < need[i]!) return false;
  return true;
}

/** Step 1: the platform's TCB level. */
export function matchPlatformLevel(info: TcbInfo, pck: PckExtensions, teeTcbSvn?: Uint8Array, skipModuleBytes = false): TcbLevel {
  for (const level of info.tcbLevels) {
    if (!allAtLeast(pck.cpuSvnComponents, level.sgxComponents) || pck.pceSvn < level.pceSvn) continue;
    if (teeTcbSvn) {
      if (!level.tdxComponents) fail('malformed', `TCB info ${info.id} has a TCB level without tdxtcbcomponents`);
      if (!allAtLeast(teeTcbSvn, level.tdxComponents, skipModuleBytes ? 2 : 0)) continue;
    }
    return level;
  }
  const tee = teeTcbSvn ? `, TEE_TCB_SVN ${hex(teeTcbSvn)}` : '';
  return fail(
    'tcb-mismatch',
    `the platform's TCB (PCK components ${pck.cpuSvnComponents.join(',')}, PCESVN ${pck.pceSvn}${tee}) is below every TCB level of the TCB info for FMSPC ${info.fmspc}: Intel lists no status for it (TCB not supported); the platform needs a TCB update (BIOS / microcode / TDX module), or the TCB info is for another platform`,
  );
}

function firstIsvLevel(levels: readonly IsvSvnLevel[], isvSvn: number): IsvSvnLevel | undefined {
  return levels.find((l) => l.isvSvn <= isvSvn);
}

function maskedEqual(value: Uint8Array, expectedHex: string, maskHex: string): boolean {
  const expected = Buffer.from(expectedHex, 'hex');
  const mask = Buffer.from(maskHex, 'hex');
  if (value.length !== expected.length || mask.length !== expected.length) return false;
  return value.every((b, i) => (b & mask[i]!) === expected[i]!);
}

/**
 * Step 2, TDX only, for one TEE TCB SVN (TEE_TCB_SVN, or TDX 1.5's TEE_TCB_SVN_2).
 * Returns the module's level, or none when the module is judged by `tdxModule` alone.
 */
export function evaluateTdxModule(info: TcbInfo, body: TdReportBody, teeTcbSvn: Uint8Array = body.teeTcbSvn): { level?: IsvSvnLevel; skipModuleBytes: boolean } {
  const major = teeTcbSvn[1]!;
  const minor = teeTcbSvn[0]!;
  if (major === 0 || info.tdxModuleIdentities.length === 0) {
    const m = info.tdxModule;
    if (!m) fail('malformed', 'TDX TCB info has neither tdxModule nor tdxModuleIdentities');
    if (hex(body.mrSignerSeam) !== m.mrSigner) fail('tcb-mismatch', `MRSIGNERSEAM ${hex(body.mrSignerSeam)} is not the TDX module signer of the TCB info`);
    if (!maskedEqual(body.seamAttributes, m.attributes, m.attributesMask)) fail('tcb-mismatch', `SEAMATTRIBUTES ${hex(body.seamAttributes)} do not match the TCB info's tdxModule`);
    return { skipModuleBytes: false };
  }
  const id = `TDX_${major.toString(16).toUpperCase().padStart(2, '0')}`;
  const identity = info.tdxModuleIdentities.find((m) => m.id.toUpperCase() === id);
  if (!identity) fail('tcb-mismatch', `the TCB info has no TDX module identity ${id} (TEE TCB SVN ${hex(teeTcbSvn)})`);
  if (hex(body.mrSignerSeam) !== identity.mrSigner) fail('tcb-mismatch', `MRSIGNERSEAM ${hex(body.mrSignerSeam)} is not the signer of TDX module ${id}`);
  if (!maskedEqual(body.seamAttributes, identity.attributes, identity.attributesMask)) fail('tcb-mismatch', `SEAMATTRIBUTES do not match TDX module ${id}`);
  const level = firstIsvLevel(identity.tcbLevels, minor);
  if (!level) fail('tcb-mismatch', `TDX module ${id} SVN ${minor} is below every level of its identity (TCB not supported)`);
  return { level, skipModuleBytes: true };
}

/** Step 3: the QE report against the QE identity. */
export function matchQeIdentity(identity: EnclaveIdentity, qe: SgxReportBody): IsvSvnLevel {
  if (hex(qe.mrSigner) !== identity.mrSigner) fail('tcb-mismatch', `the QE's MRSIGNER ${hex(qe.mrSigner)} is not the one of the QE identity (${identity.mrSigner})`);
  if (qe.isvProdId !== identity.isvProdId) fail('tcb-mismatch', `the QE's ISVPRODID ${qe.isvProdId} is not the QE identity's ${identity.isvProdId}`);
  if (((qe.miscSelect & identity.miscselectMask) >>> 0) !== identity.miscselect >>> 0) fail('tcb-mismatch', `the QE's MISCSELECT does not match the QE identity`);
  if (!maskedEqual(qe.attributes, identity.attributes, identity.attributesMask)) fail('tcb-mismatch', `the QE's ATTRIBUTES ${hex(qe.attributes)} do not match the QE identity`);
  const level = firstIsvLevel(identity.tcbLevels, qe.isvSvn);
  if (!level) fail('tcb-mismatch', `the QE's ISVSVN ${qe.isvSvn} is below every level of the QE identity (TCB not supported)`);
  return level;
}

function union(...lists: (readonly string[])[]): string[] {
  return [...new Set(lists.flat())];
}

interface Rated {
  readonly status: TcbStatus;
  readonly advisoryIds: readonly string[];
  readonly platform: TcbLevel;
  readonly moduleLevel?: IsvSvnLevel;
}

function rate(info: TcbInfo, pck: PckExtensions, body: SgxReportBody | TdReportBody, qeLevel: IsvSvnLevel, teeTcbSvn?: Uint8Array): Rated {
  let moduleLevel: IsvSvnLevel | undefined;
  let platform: TcbLevel;
  if (body.kind === 'sgx' || !teeTcbSvn) {
    platform = matchPlatformLevel(info, pck);
  } else {
    const mod = evaluateTdxModule(info, body, teeTcbSvn);
    moduleLevel = mod.level;
    platform = matchPlatformLevel(info, pck, teeTcbSvn, mod.skipModuleBytes);
  }
  let status = platform.tcbStatus;
  if (moduleLevel) status = convergeStatus(status, moduleLevel.tcbStatus);
  status = convergeStatus(status, qeLevel.tcbStatus);
  return { status, advisoryIds: union(platform.advisoryIds, moduleLevel?.advisoryIds ?? [], qeLevel.advisoryIds), platform, ...(moduleLevel ? { moduleLevel } : {}) };
}

/**
 * Intel QVL "TD relaunch" rule for TDX 1.5 bodies: TEE_TCB_SVN is the TCB the
 * TD launched under, TEE_TCB_SVN_2 the one running now (after a TD-preserving
 * module update). A launch status OutOfDate(ConfigurationNeeded) with a current
 * status that is not out of date advises a relaunch.
 */
export function relaunchAdvised(launch: TcbStatus, current: TcbStatus): boolean {
  const outOfDate = launch === 'OutOfDate' || launch === 'OutOfDateConfigurationNeeded';
  return outOfDate && ['UpToDate', 'SWHardeningNeeded', 'ConfigurationNeeded', 'ConfigurationAndSWHardeningNeeded'].includes(current);
}

/**
 * Steps 1–4 for a quote whose collateral has been authenticated. For TDX 1.5
 * both TEE TCB SVNs are rated; the status reported is the launch status
 * (`TcbStatus` has no "TDRelaunchAdvised"), with the current status and the
 * relaunch advice alongside, and the advisories of both.
 */
export function evaluateTcb(info: TcbInfo, identity: EnclaveIdentity, pck: PckExtensions, body: SgxReportBody | TdReportBody, qe: SgxReportBody): TcbEvaluation {
  const qeLevel = matchQeIdentity(identity, qe);
  const launch = rate(info, pck, body, qeLevel, body.kind === 'sgx' ? undefined : body.teeTcbSvn);
  const current = body.kind === 'td15' && body.teeTcbSvn2 ? rate(info, pck, body, qeLevel, body.teeTcbSvn2) : undefined;
  return {
    status: launch.status,
    advisoryIds: union(launch.advisoryIds, current?.advisoryIds ?? []),
    tcbDate: launch.platform.tcbDate,
    platformStatus: launch.platform.tcbStatus,
    qeStatus: qeLevel.tcbStatus,
    ...(launch.moduleLevel ? { tdxModuleStatus: launch.moduleLevel.tcbStatus } : {}),
    ...(current ? { tdxCurrentStatus: current.status, tdxRelaunchAdvised: relaunchAdvised(launch.status, current.status) } : {}),
  };
}
