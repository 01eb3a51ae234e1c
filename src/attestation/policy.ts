/**
 * Attestation policy: what a verified piece of evidence must also satisfy to
 * be trusted. `applyPolicy` runs after a verifier has established
 * authenticity; it throws `AttestationError` with, in this precedence:
 * `collateral-expired` (collateral older than `maxCollateralAgeDays`),
 * `tcb-not-accepted`, `measurement-not-allowed`, `debug-not-allowed`,
 * `policy-violation`, `report-data-mismatch`, `simulated-not-allowed`.
 *
 * Defaults refuse: no measurement is allowed until listed, debug is refused,
 * the SNP migration agent is refused, VMPL must be 0, Intel TCB status must be
 * UpToDate, sim evidence is refused. The YAML form is in
 * docs/attestation-policy.md and is loaded by policy-load.ts.
 */
import { AttestationError, type Claims, type ReasonCode, type SnpTcb, type TcbStatus } from './verifier.js';

export interface SnpMinTcb {
  readonly bootloader?: number;
  readonly tee?: number;
  readonly snp?: number;
  readonly microcode?: number;
  readonly fmc?: number;
}

export interface SnpPolicy {
  /** Allowed MEASUREMENT values (hex, 48 bytes). */
  readonly measurements: readonly string[];
  /** When given, HOST_DATA (hex, 32 bytes) must be one of these. */
  readonly hostData?: readonly string[];
  /** Per-component minimum of REPORTED_TCB (the TCB the VCEK certifies). */
  readonly minTcb: SnpMinTcb;
  readonly minGuestSvn: number;
  readonly allowDebug: boolean;
  readonly allowMigrationAgent: boolean;
  /** Whether a host with SMT enabled (PLATFORM_INFO.SMT_EN) is acceptable. */
  readonly allowSmt: boolean;
  /** Highest VMPL the report may have been requested from (0 is the most privileged). */
  readonly maxVmpl: number;
}

export interface TdxMeasurement {
  readonly mrtd: string;
  readonly rtmr0: string;
  readonly rtmr1: string;
  readonly rtmr2: string;
  readonly rtmr3: string;
  /** When given, MRCONFIGID must equal it. */
  readonly mrConfigId?: string;
}

export interface TdxPolicy {
  /** A quote is allowed when one entry matches all its fields (MRTD alone would accept any OS). */
  readonly measurements: readonly TdxMeasurement[];
  readonly acceptedTcbStatuses: readonly TcbStatus[];
  readonly allowDebug: boolean;
}

export interface SgxSigner {
  /** Who holds the key, e.g. "sealflow release key (owner)": trusting a signer is explicit. */
  readonly name: string;
  readonly mrSigner: string;
  readonly prodId: number;
  readonly minSvn: number;
}

export interface SgxPolicy {
  readonly mrEnclaves: readonly string[];
  readonly signers: readonly SgxSigner[];
  readonly acceptedTcbStatuses: readonly TcbStatus[];
  readonly allowDebug: boolean;
}

export interface SimPolicy {
  readonly measurements: readonly string[];
  readonly allowDebug: boolean;
}

export interface AttestationPolicy {
  readonly allowSimulated: boolean;
  /**
   * Platform `none` (no TEE, no evidence) on a non-local deployment: keys are
   * released without evidence only when this is true. Local deployments (the
   * master's own machine) need no policy for it.
   */
  readonly allowUnattested?: boolean;
  /**
   * Sim evidence (NOT a TEE) from a deployment whose connector is not
   * `local` (the worker runs on another host, the sim root stays with the
   * master): accepted only when this is true (docs/connectors/ssh.md).
   * Separate from `allowSimulated`, which every sim run needs.
   */
  readonly allowRemoteSimulation?: boolean;
  /** Refuse evidence whose verifier reports collateral issued longer ago than this (details.collateralIssueDate). */
  readonly maxCollateralAgeDays?: number;
  readonly 'sev-snp': SnpPolicy;
  readonly tdx: TdxPolicy;
  readonly sgx: SgxPolicy;
  readonly sim: SimPolicy;
}

export const DEFAULT_POLICY: AttestationPolicy = {
  allowSimulated: false,
  'sev-snp': { measurements: [], minTcb: {}, minGuestSvn: 0, allowDebug: false, allowMigrationAgent: false, allowSmt: true, maxVmpl: 0 },
  tdx: { measurements: [], acceptedTcbStatuses: ['UpToDate'], allowDebug: false },
  sgx: { mrEnclaves: [], signers: [], acceptedTcbStatuses: ['UpToDate'], allowDebug: false },
  sim: { measurements: [], allowDebug: false },
};

type DeepPartial<T> = { -readonly [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type PolicyInput = DeepPartial<AttestationPolicy>;

/** A policy from the defaults plus what is given (hex is lower-cased). No validation: see policy-load.ts. */
export function definePolicy(input: PolicyInput = {}): AttestationPolicy {
  const lower = (xs: readonly string[] | undefined) => xs?.map((x) => x.toLowerCase());
  const d = DEFAULT_POLICY;
  const snp = { ...d['sev-snp'], ...input['sev-snp'] };
  const tdx = { ...d.tdx, ...input.tdx };
  const sgx = { ...d.sgx, ...input.sgx };
  const sim = { ...d.sim, ...input.sim };
  const hostData = lower(snp.hostData);
  return {
    allowSimulated: input.allowSimulated ?? d.allowSimulated,
    ...(input.allowUnattested !== undefined ? { allowUnattested: input.allowUnattested } : {}),
    ...(input.allowRemoteSimulation !== undefined ? { allowRemoteSimulation: input.allowRemoteSimulation } : {}),
    ...(input.maxCollateralAgeDays !== undefined ? { maxCollateralAgeDays: input.maxCollateralAgeDays } : {}),
    'sev-snp': {
      ...snp,
      measurements: lower(snp.measurements) ?? [],
      minTcb: { ...snp.minTcb },
      ...(hostData ? { hostData } : {}),
    } as SnpPolicy,
    tdx: {
      ...tdx,
      measurements: (tdx.measurements ?? []).map(
        (m) => Object.fromEntries(Object.entries(m).filter(([, v]) => typeof v === 'string').map(([k, v]) => [k, (v as string).toLowerCase()])) as unknown as TdxMeasurement,
      ),
    } as TdxPolicy,
    sgx: {
      ...sgx,
      mrEnclaves: lower(sgx.mrEnclaves) ?? [],
      signers: (sgx.signers ?? []).map((s) => ({ ...s, mrSigner: s.mrSigner.toLowerCase() })),
    } as SgxPolicy,
    sim: { ...sim, measurements: lower(sim.measurements) ?? [] } as SimPolicy,
  };
}

/**
 * The narrowest policy that accepts exactly these claims (their measurement,
 * host data / RTMRs / MRCONFIGID, TCB, debug and platform bits). For pinning a
 * known-good worker image from a first verification, and for tests.
 */
export function policyAllowing(claims: Claims): AttestationPolicy {
  switch (claims.platform) {
    case 'sev-snp': {
      const d = claims.details;
      const { raw: _raw, ...tcb } = d.reportedTcb;
      return definePolicy({
        'sev-snp': {
          measurements: [claims.measurement],
          hostData: [d.hostData],
          minTcb: tcb,
          minGuestSvn: d.guestSvn,
          allowDebug: claims.debug,
          allowMigrationAgent: d.policy.migrateMa,
          allowSmt: d.platformInfo.smtEnabled,
          maxVmpl: d.vmpl,
        },
      });
    }
    case 'tdx': {
      const d = claims.details;
      const [rtmr0, rtmr1, rtmr2, rtmr3] = d.rtmr;
      return definePolicy({
        tdx: { measurements: [{ mrtd: claims.measurement, rtmr0, rtmr1, rtmr2, rtmr3, mrConfigId: d.mrConfigId }], acceptedTcbStatuses: [claims.tcbStatus], allowDebug: claims.debug },
      });
    }
    case 'sgx':
      return definePolicy({ sgx: { mrEnclaves: [claims.measurement], acceptedTcbStatuses: [claims.tcbStatus], allowDebug: claims.debug } });
    case 'sim':
      return definePolicy({ sim: { measurements: [claims.measurement], allowDebug: claims.debug }, allowSimulated: true });
  }
}

export interface ApplyOptions {
  /** Expected REPORT_DATA (hex or bytes; shorter values are zero-padded to 64 bytes). */
  readonly expectedReportData?: string | Uint8Array;
  /** The verification time, for collateral age. */
  readonly now?: Date;
}

type Check = readonly [ReasonCode, () => string | undefined];

function snpChecks(c: Extract<Claims, { platform: 'sev-snp' }>, p: SnpPolicy): Check[] {
  const d = c.details;
  return [
    ['tcb-not-accepted', () => {
      for (const k of ['bootloader', 'tee', 'snp', 'microcode', 'fmc'] as const) {
        const min = p.minTcb[k];
        const have = (d.reportedTcb as SnpTcb)[k];
        if (min !== undefined && (have === undefined || have < min)) return `SEV-SNP reported TCB ${k} SPL ${have ?? 'absent'} is below the policy minimum ${min}`;
      }
      return undefined;
    }],
    ['measurement-not-allowed', () => {
      if (!p.measurements.includes(c.measurement)) return `SEV-SNP measurement ${c.measurement} is not in the policy's allowed list`;
      if (p.hostData && !p.hostData.includes(d.hostData)) return `SEV-SNP HOST_DATA ${d.hostData} is not in the policy's allowed list`;
      return undefined;
    }],
    ['debug-not-allowed', () => (c.debug && !p.allowDebug ? 'the SEV-SNP guest policy allows debugging (DEBUG bit), which the policy refuses (allowDebug: false)' : undefined)],
    ['policy-violation', () => {
      if (d.policy.migrateMa && !p.allowMigrationAgent) return 'the SEV-SNP guest may be bound to a migration agent (MIGRATE_MA), which the policy refuses';
      if (d.platformInfo.smtEnabled && !p.allowSmt) return 'the host has SMT enabled, which the policy refuses (allowSmt: false)';
      if (d.vmpl > p.maxVmpl) return `the report was requested from VMPL ${d.vmpl}; the policy allows at most ${p.maxVmpl}`;
      if (d.guestSvn < p.minGuestSvn) return `guest SVN ${d.guestSvn} is below the policy minimum ${p.minGuestSvn}`;
      return undefined;
    }],
  ];
}

function statusCheck(status: TcbStatus, accepted: readonly TcbStatus[], what: string): Check {
  return ['tcb-not-accepted', () => (accepted.includes(status) ? undefined : `${what} TCB status ${status} is not accepted by the policy (accepted: ${accepted.join(', ') || 'none'})`)];
}

function tdxChecks(c: Extract<Claims, { platform: 'tdx' }>, p: TdxPolicy): Check[] {
  const d = c.details;
  const matches = (m: TdxMeasurement) =>
    m.mrtd === c.measurement && m.rtmr0 === d.rtmr[0] && m.rtmr1 === d.rtmr[1] && m.rtmr2 === d.rtmr[2] && m.rtmr3 === d.rtmr[3] && (m.mrConfigId === undefined || m.mrConfigId === d.mrConfigId);
  return [
    statusCheck(c.tcbStatus, p.acceptedTcbStatuses, 'TDX'),
    ['measurement-not-allowed', () => (p.measurements.some(matches) ? undefined : `TDX MRTD ${c.measurement} with its RTMRs and MRCONFIGID matches no allowed measurement of the policy`)],
    ['debug-not-allowed', () => (c.debug && !p.allowDebug ? 'the TD is debuggable (TD_ATTRIBUTES.DEBUG), which the policy refuses' : undefined)],
  ];
}

function sgxChecks(c: Extract<Claims, { platform: 'sgx' }>, p: SgxPolicy): Check[] {
  const d = c.details;
  const bySigner = p.signers.some((s) => s.mrSigner === d.mrSigner && s.prodId === d.isvProdId && d.isvSvn >= s.minSvn);
  return [
    statusCheck(c.tcbStatus, p.acceptedTcbStatuses, 'SGX'),
    ['measurement-not-allowed', () => (p.mrEnclaves.includes(c.measurement) || bySigner ? undefined : `SGX MRENCLAVE ${c.measurement} (MRSIGNER ${d.mrSigner}, product ${d.isvProdId}, SVN ${d.isvSvn}) is not allowed by the policy`)],
    ['debug-not-allowed', () => (c.debug && !p.allowDebug ? 'the enclave is a debug enclave (ATTRIBUTES.DEBUG), which the policy refuses' : undefined)],
  ];
}

function simChecks(c: Extract<Claims, { platform: 'sim' }>, p: SimPolicy): Check[] {
  return [
    ['measurement-not-allowed', () => (p.measurements.includes(c.measurement) ? undefined : `sim measurement ${c.measurement} is not in the policy's allowed list`)],
    ['debug-not-allowed', () => (c.debug && !p.allowDebug ? 'the sim evidence has the debug flag, which the policy refuses' : undefined)],
  ];
}

function normaliseReportData(x: string | Uint8Array): string | undefined {
  const bytes = typeof x === 'string' ? (/^(0x)?([0-9a-fA-F]{2})*$/.test(x) ? Buffer.from(x.replace(/^0x/, ''), 'hex') : undefined) : Buffer.from(x);
  if (!bytes || bytes.length > 64) return undefined;
  return Buffer.concat([bytes, Buffer.alloc(64 - bytes.length)]).toString('hex');
}

/** Throw `report-data-mismatch` unless the claims carry the expected report data. */
export function checkReportData(claims: Claims, expected: string | Uint8Array): void {
  const want = normaliseReportData(expected);
  if (want === undefined) throw new TypeError('expected report data must be at most 64 bytes of hex');
  if (claims.reportData !== want) throw new AttestationError('report-data-mismatch', `the evidence's report data ${claims.reportData} is not the expected ${want}`);
}

const CHECKS: { readonly [P in Claims['platform']]: (c: Extract<Claims, { platform: P }>, p: AttestationPolicy) => Check[] } = {
  'sev-snp': (c, p) => snpChecks(c, p['sev-snp']),
  tdx: (c, p) => tdxChecks(c, p.tdx),
  sgx: (c, p) => sgxChecks(c, p.sgx),
  sim: (c, p) => simChecks(c, p.sim),
};

function collateralAge(claims: Claims, policy: AttestationPolicy, now: Date): string | undefined {
  const issued = claims.details['collateralIssueDate'];
  if (policy.maxCollateralAgeDays === undefined || typeof issued !== 'string') return undefined;
  const ageDays = (now.getTime() - Date.parse(issued)) / 86_400_000;
  return ageDays > policy.maxCollateralAgeDays ? `the collateral was issued ${issued}, more than ${policy.maxCollateralAgeDays} days before ${now.toISOString()}` : undefined;
}

/** Apply `policy` to verified claims; returns the claims or throws the first failing reason (precedence above). */
export function applyPolicy(claims: Claims, policy: AttestationPolicy, opts: ApplyOptions = {}): Claims {
  const checks: Check[] = [
    ['collateral-expired', () => collateralAge(claims, policy, opts.now ?? new Date())],
    ...(CHECKS[claims.platform] as (c: Claims, p: AttestationPolicy) => Check[])(claims, policy),
    ['report-data-mismatch', () => {
      if (opts.expectedReportData === undefined) return undefined;
      try {
        checkReportData(claims, opts.expectedReportData);
        return undefined;
      } catch (e) {
        if (e instanceof AttestationError) return e.message;
        throw e;
      }
    }],
    ['simulated-not-allowed', () => (claims.platform === 'sim' && !policy.allowSimulated ? 'the evidence is from the software-only sim platform, which is not a TEE; the policy refuses it (allowSimulated: false)' : undefined)],
  ];
  for (const [reason, check] of checks) {
    const why = check();
    if (why !== undefined) throw new AttestationError(reason, why);
  }
  return claims;
}
