/**
 * The attestation concern: turn hardware evidence plus collateral into
 * claims, or refuse with a stable reason code. One folder per evidence type
 * (`sev-snp/`, `tdx/`, `sgx-dcap/`, `sim/`; Intel code shared by TDX and SGX
 * in `intel/`), each exporting an `EvidenceVerifier`; `policy.ts` applies a
 * policy to claims; `index.ts` detects the type and runs both.
 */

export type Platform = 'sev-snp' | 'tdx' | 'sgx' | 'sim';

/**
 * Why evidence was refused. Where several apply, the first in this order
 * that fails decides (verifiers and the policy check in this order).
 */
export const REASON_CODES = [
  'malformed',
  'unsupported-version',
  'bad-signature',
  'chain-untrusted',
  'cert-expired',
  'cert-not-yet-valid',
  'revoked',
  'collateral-missing',
  'collateral-expired',
  'tcb-mismatch',
  'tcb-not-accepted',
  'measurement-not-allowed',
  'debug-not-allowed',
  'policy-violation',
  'report-data-mismatch',
  'simulated-not-allowed',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** The one error class of this module: `reason` is stable, `message` is for people. */
export class AttestationError extends Error {
  override readonly name = 'AttestationError';
  constructor(
    readonly reason: ReasonCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Intel TCB statuses (PCS TCB info v3) plus `NotApplicable` for evidence types
 * without a vendor status (SEV-SNP is judged by TCB versions; sim has none).
 */
export type TcbStatus =
  | 'UpToDate'
  | 'SWHardeningNeeded'
  | 'ConfigurationNeeded'
  | 'ConfigurationAndSWHardeningNeeded'
  | 'OutOfDate'
  | 'OutOfDateConfigurationNeeded'
  | 'Revoked'
  | 'NotApplicable';

interface ClaimsBase {
  /** Hex: SNP MEASUREMENT, TDX MRTD, SGX MRENCLAVE, sim measurement. */
  readonly measurement: string;
  /** Hex, 64 bytes. */
  readonly reportData: string;
  readonly debug: boolean;
  readonly tcbStatus: TcbStatus;
}

/** SEV-SNP TCB_VERSION, decoded per product (Turin has an FMC field). */
export interface SnpTcb {
  readonly bootloader: number;
  readonly tee: number;
  readonly snp: number;
  readonly microcode: number;
  readonly fmc?: number;
  /** The raw 64-bit value, hex. */
  readonly raw: string;
}

export interface SnpDetails {
  readonly version: number;
  readonly product: 'Milan' | 'Genoa' | 'Turin' | 'unknown';
  readonly signingKey: 'vcek' | 'vlek';
  readonly guestSvn: number;
  /** Guest policy (hex) and its decoded bits. */
  readonly policy: { readonly raw: string; readonly debug: boolean; readonly migrateMa: boolean; readonly smt: boolean; readonly abiMajor: number; readonly abiMinor: number; readonly singleSocket: boolean; readonly [bit: string]: unknown };
  readonly vmpl: number;
  readonly hostData: string;
  readonly familyId: string;
  readonly imageId: string;
  readonly idKeyDigest: string;
  readonly authorKeyDigest: string;
  readonly reportId: string;
  readonly chipId: string;
  readonly platformInfo: { readonly raw: string; readonly smtEnabled: boolean; readonly tsmeEnabled: boolean; readonly [bit: string]: unknown };
  readonly currentTcb: SnpTcb;
  readonly reportedTcb: SnpTcb;
  readonly committedTcb: SnpTcb;
  readonly launchTcb: SnpTcb;
  readonly [key: string]: unknown;
}

export interface IntelTcbDetails {
  readonly fmspc: string;
  readonly pceId: string;
  readonly tcbDate?: string;
  readonly advisoryIds: readonly string[];
  readonly [key: string]: unknown;
}

export interface TdxDetails extends IntelTcbDetails {
  readonly quoteVersion: number;
  readonly teeTcbSvn: string;
  readonly mrSeam: string;
  readonly mrSignerSeam: string;
  readonly tdAttributes: string;
  readonly xfam: string;
  readonly mrConfigId: string;
  readonly mrOwner: string;
  readonly mrOwnerConfig: string;
  /** RTMR0..3, hex. */
  readonly rtmr: readonly [string, string, string, string];
}

export interface SgxDetails extends IntelTcbDetails {
  readonly quoteVersion: number;
  readonly mrSigner: string;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly attributes: string;
  readonly miscSelect: string;
  readonly cpuSvn: string;
}

export interface SimDetails {
  /** Hex SHA-256 of the simulation root public key (SPKI DER) that signed it. */
  readonly rootKeyFingerprint: string;
  readonly [key: string]: unknown;
}

export type Claims =
  | (ClaimsBase & { readonly platform: 'sev-snp'; readonly details: SnpDetails })
  | (ClaimsBase & { readonly platform: 'tdx'; readonly details: TdxDetails })
  | (ClaimsBase & { readonly platform: 'sgx'; readonly details: SgxDetails })
  | (ClaimsBase & { readonly platform: 'sim'; readonly details: SimDetails });

/**
 * Collateral by well-known name, as raw bytes of the file that holds it.
 * A directory of files or a JSON bundle loads into this (collateral.ts).
 */
export const COLLATERAL_NAMES = [
  'vcek', // SNP VCEK or VLEK certificate (DER or PEM)
  'ask-ark', // SNP ASK (or ASVK) + ARK, PEM
  'tcb-info', // Intel TCB info: a PCS response {"tcbInfo":…,"signature":…} or the exact signed tcbInfo JSON
  'tcb-info-signature', // raw r||s when 'tcb-info' is the bare signed JSON
  'tcb-info-issuer-chain', // PEM
  'qe-identity', // as tcb-info, {"enclaveIdentity":…,"signature":…} or bare
  'qe-identity-signature',
  'qe-identity-issuer-chain',
  'pck-crl', // DER (or PEM)
  'pck-crl-issuer-chain',
  'root-ca-crl', // DER (or PEM)
  'intel-root-ca', // PEM; overrides the pinned Intel SGX Root CA only in tests that say so
  'sim-root-key', // SPKI PEM of the per-run simulation root key
  'amd-crl', // SNP: AMD KDS CRL of the ARK (revoked ASKs/ASVKs), DER or PEM; optional
] as const;
export type CollateralName = (typeof COLLATERAL_NAMES)[number];
export type Collateral = Partial<Record<CollateralName, Uint8Array>>;

export interface VerifyOptions {
  /** The verification time: certificate validity, collateral freshness. */
  readonly now: Date;
}

export interface EvidenceVerifier {
  readonly platform: Platform;
  /** Cheap recognition of the evidence bytes (no signature work). */
  sniff(evidence: Uint8Array): boolean;
  /**
   * Authenticity only: parse, signatures, chains to the pinned vendor root,
   * validity at `now`, revocation, collateral, TCB status. Throws
   * `AttestationError` with reason codes from `malformed` up to `tcb-mismatch`;
   * never any other error, whatever the input.
   */
  verify(evidence: Uint8Array, collateral: Collateral, opts: VerifyOptions): Promise<Claims>;
}
