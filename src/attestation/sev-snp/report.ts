/**
 * The SEV-SNP ATTESTATION_REPORT, parsed from bytes.
 *
 * Source: AMD "SEV Secure Nested Paging Firmware ABI Specification" (pub.
 * 56860), §7.3 Attestation, table "ATTESTATION_REPORT Structure" (Table 22
 * in rev 1.55); the tables "TCB_VERSION Structure" (Turin layout added in
 * later revisions), "Guest Policy Structure" (§4.3), "PLATFORM_INFO", and, in
 * the chapter on digital signatures, "ECDSA P-384 with SHA-384 Signature"
 * (table numbers shift between revisions, so tables are cited by name below).
 * Report versions: 2 (rev 1.54+), 3 adds
 * CPUID_FAM_ID/MOD_ID/STEP at 0x188 (rev 1.55), 5 adds LAUNCH_MIT_VECTOR and
 * CURRENT_MIT_VECTOR at 0x1F8/0x200 (rev 1.58). Everything is little-endian.
 */
import type { SnpTcb } from '../verifier.js';
import { AttestationError } from '../verifier.js';
import { hex, isAllZero, need, u32le, u64le } from '../bytes.js';

export const REPORT_LENGTH = 0x4a0; // 1184
export const SIGNED_END = 0x2a0; // the signature covers 0x000..0x29F
export const SUPPORTED_VERSIONS: readonly number[] = [2, 3, 5];

/** Byte ranges of the field groups, for tests and for documentation. */
export const REPORT_FIELDS = {
  VERSION: [0x000, 0x004],
  GUEST_SVN: [0x004, 0x008],
  POLICY: [0x008, 0x010],
  FAMILY_ID: [0x010, 0x020],
  IMAGE_ID: [0x020, 0x030],
  VMPL: [0x030, 0x034],
  SIGNATURE_ALGO: [0x034, 0x038],
  CURRENT_TCB: [0x038, 0x040],
  PLATFORM_INFO: [0x040, 0x048],
  FLAGS: [0x048, 0x04c], // bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits 4:2 SIGNING_KEY
  REPORT_DATA: [0x050, 0x090],
  MEASUREMENT: [0x090, 0x0c0],
  HOST_DATA: [0x0c0, 0x0e0],
  ID_KEY_DIGEST: [0x0e0, 0x110],
  AUTHOR_KEY_DIGEST: [0x110, 0x140],
  REPORT_ID: [0x140, 0x160],
  REPORT_ID_MA: [0x160, 0x180],
  REPORTED_TCB: [0x180, 0x188],
  CPUID: [0x188, 0x18b], // v3+: CPUID_FAM_ID, CPUID_MOD_ID, CPUID_STEP
  CHIP_ID: [0x1a0, 0x1e0],
  COMMITTED_TCB: [0x1e0, 0x1e8],
  CURRENT_VERSION: [0x1e8, 0x1ec], // CURRENT_BUILD, CURRENT_MINOR, CURRENT_MAJOR, reserved
  COMMITTED_VERSION: [0x1ec, 0x1f0],
  LAUNCH_TCB: [0x1f0, 0x1f8],
  MIT_VECTORS: [0x1f8, 0x208], // v5+: LAUNCH_MIT_VECTOR, CURRENT_MIT_VECTOR
  SIGNATURE_R: [0x2a0, 0x2e8], // 72 bytes little-endian, top 24 zero for P-384
  SIGNATURE_S: [0x2e8, 0x330],
} as const satisfies Record<string, readonly [number, number]>;

export type Product = 'Milan' | 'Genoa' | 'Turin';

export interface SnpReport {
  readonly version: number;
  readonly guestSvn: number;
  readonly policy: bigint;
  readonly familyId: Uint8Array;
  readonly imageId: Uint8Array;
  readonly vmpl: number;
  readonly signatureAlgo: number;
  readonly currentTcb: Uint8Array;
  readonly platformInfo: bigint;
  readonly authorKeyEn: boolean;
  readonly maskChipKey: boolean;
  /** 0 VCEK, 1 VLEK, 7 none. */
  readonly signingKey: number;
  readonly reportData: Uint8Array;
  readonly measurement: Uint8Array;
  readonly hostData: Uint8Array;
  readonly idKeyDigest: Uint8Array;
  readonly authorKeyDigest: Uint8Array;
  readonly reportId: Uint8Array;
  readonly reportIdMa: Uint8Array;
  readonly reportedTcb: Uint8Array;
  /** v3+, else undefined. */
  readonly cpuid?: { readonly family: number; readonly model: number; readonly stepping: number };
  readonly chipId: Uint8Array;
  readonly committedTcb: Uint8Array;
  readonly currentVersion: string;
  readonly committedVersion: string;
  readonly launchTcb: Uint8Array;
  /** v5+, hex. */
  readonly launchMitVector?: string;
  readonly currentMitVector?: string;
  /** Bytes 0x000..0x29F. */
  readonly signed: Uint8Array;
  /** r and s, each 48 bytes big-endian, or null when the 72-byte fields do not hold a P-384 scalar. */
  readonly signatureP1363: Uint8Array | null;
}

/** Cheap recognition: the right size, a supported-looking version and ECDSA P-384 as the algorithm. */
export function looksLikeSnpReport(b: Uint8Array): boolean {
  return b.length === REPORT_LENGTH && u32le(b, 0) >= 1 && u32le(b, 0) < 64 && u32le(b, 0x34) === 1;
}

function littleEndianScalar(field: Uint8Array): Uint8Array | null {
  // "ECDSA P-384 with SHA-384 Signature": R and S are 72-byte little-endian; a P-384 scalar fits in 48.
  if (!isAllZero(field.subarray(48))) return null;
  return Uint8Array.from(field.subarray(0, 48)).reverse();
}

function slice(b: Uint8Array, f: readonly [number, number]): Uint8Array {
  return b.slice(f[0], f[1]);
}

export function parseReport(b: Uint8Array): SnpReport {
  need(b.length === REPORT_LENGTH, `an SEV-SNP attestation report is ${REPORT_LENGTH} bytes, got ${b.length}`);
  const version = u32le(b, 0);
  // Versions are small integers; anything else is not a report at all.
  need(version >= 1 && version < 64, `not an SEV-SNP attestation report (version field ${version})`);
  const signatureAlgo = u32le(b, 0x34);
  need(signatureAlgo < 16, `not an SEV-SNP attestation report (signature algorithm ${signatureAlgo})`);
  if (!SUPPORTED_VERSIONS.includes(version)) {
    throw new AttestationError('unsupported-version', `SEV-SNP report version ${version} is not supported (supported: ${SUPPORTED_VERSIONS.join(', ')})`);
  }
  // ATTESTATION_REPORT SIGNATURE_ALGO, "Signature Algorithm Encodings": 1 = ECDSA P-384 with SHA-384, the only one defined.
  if (signatureAlgo !== 1) throw new AttestationError('unsupported-version', `SEV-SNP signature algorithm ${signatureAlgo} is not supported (only 1, ECDSA P-384/SHA-384)`);
  const flags = u32le(b, 0x48);
  const r = littleEndianScalar(b.subarray(0x2a0, 0x2e8));
  const s = littleEndianScalar(b.subarray(0x2e8, 0x330));
  const ver = (o: number) => `${b[o + 2] ?? 0}.${b[o + 1] ?? 0}.${b[o] ?? 0}`; // major.minor.build
  return {
    version,
    guestSvn: u32le(b, 0x04),
    policy: u64le(b, 0x08),
    familyId: slice(b, REPORT_FIELDS.FAMILY_ID),
    imageId: slice(b, REPORT_FIELDS.IMAGE_ID),
    vmpl: u32le(b, 0x30),
    signatureAlgo,
    currentTcb: slice(b, REPORT_FIELDS.CURRENT_TCB),
    platformInfo: u64le(b, 0x40),
    authorKeyEn: (flags & 1) !== 0,
    maskChipKey: (flags & 2) !== 0,
    signingKey: (flags >>> 2) & 7,
    reportData: slice(b, REPORT_FIELDS.REPORT_DATA),
    measurement: slice(b, REPORT_FIELDS.MEASUREMENT),
    hostData: slice(b, REPORT_FIELDS.HOST_DATA),
    idKeyDigest: slice(b, REPORT_FIELDS.ID_KEY_DIGEST),
    authorKeyDigest: slice(b, REPORT_FIELDS.AUTHOR_KEY_DIGEST),
    reportId: slice(b, REPORT_FIELDS.REPORT_ID),
    reportIdMa: slice(b, REPORT_FIELDS.REPORT_ID_MA),
    reportedTcb: slice(b, REPORT_FIELDS.REPORTED_TCB),
    ...(version >= 3 ? { cpuid: { family: b[0x188] ?? 0, model: b[0x189] ?? 0, stepping: b[0x18a] ?? 0 } } : {}),
    chipId: slice(b, REPORT_FIELDS.CHIP_ID),
    committedTcb: slice(b, REPORT_FIELDS.COMMITTED_TCB),
    currentVersion: ver(0x1e8),
    committedVersion: ver(0x1ec),
    launchTcb: slice(b, REPORT_FIELDS.LAUNCH_TCB),
    ...(version >= 5 ? { launchMitVector: u64le(b, 0x1f8).toString(16), currentMitVector: u64le(b, 0x200).toString(16) } : {}),
    signed: b.subarray(0, SIGNED_END),
    signatureP1363: r && s ? new Uint8Array([...r, ...s]) : null,
  };
}

/**
 * The product from CPUID (v3+; ATTESTATION_REPORT CPUID_FAM_ID/CPUID_MOD_ID at 0x188/0x189):
 * family 19h models 00h–0Fh Milan, 10h–1Fh and A0h–AFh Genoa (incl. Bergamo,
 * Siena); family 1Ah models 00h–1Fh Turin. Undefined when unknown or v2.
 */
export function productFromCpuid(cpuid: SnpReport['cpuid']): Product | undefined {
  if (!cpuid) return undefined;
  if (cpuid.family === 0x19 && cpuid.model <= 0x0f) return 'Milan';
  if (cpuid.family === 0x19 && ((cpuid.model >= 0x10 && cpuid.model <= 0x1f) || (cpuid.model >= 0xa0 && cpuid.model <= 0xaf))) return 'Genoa';
  if (cpuid.family === 0x1a && cpuid.model <= 0x1f) return 'Turin';
  return undefined;
}

/**
 * TCB_VERSION (SNP ABI "TCB_VERSION Structure"). Milan/Genoa: byte 0 BOOT_LOADER, 1 TEE,
 * 2–5 reserved, 6 SNP, 7 MICROCODE. Turin: byte 0 FMC, 1 BOOT_LOADER, 2 TEE,
 * 3 SNP, 4–6 reserved, 7 MICROCODE.
 */
export function decodeTcb(raw: Uint8Array, product: Product | 'unknown'): SnpTcb {
  const rawHex = hex(Uint8Array.from(raw).reverse()); // as the 64-bit value
  if (product === 'Turin') {
    return { fmc: raw[0] ?? 0, bootloader: raw[1] ?? 0, tee: raw[2] ?? 0, snp: raw[3] ?? 0, microcode: raw[7] ?? 0, raw: rawHex };
  }
  return { bootloader: raw[0] ?? 0, tee: raw[1] ?? 0, snp: raw[6] ?? 0, microcode: raw[7] ?? 0, raw: rawHex };
}

/** GUEST_POLICY (SNP ABI §4.3 "Guest Policy Structure"): bit 16 SMT, 17 reserved (1), 18 MIGRATE_MA, 19 DEBUG, 20 SINGLE_SOCKET. */
export function decodePolicy(policy: bigint) {
  const bit = (n: number) => ((policy >> BigInt(n)) & 1n) === 1n;
  return {
    raw: policy.toString(16).padStart(16, '0'),
    abiMinor: Number(policy & 0xffn),
    abiMajor: Number((policy >> 8n) & 0xffn),
    smt: bit(16),
    migrateMa: bit(18),
    debug: bit(19),
    singleSocket: bit(20),
    cxlAllow: bit(21),
    memAes256Xts: bit(22),
    raplDis: bit(23),
    ciphertextHiding: bit(24),
    pageSwapDisable: bit(25),
  };
}

/** PLATFORM_INFO: bit 0 SMT_EN, 1 TSME_EN, 2 ECC_EN, 3 RAPL_DIS, 4 CIPHERTEXT_HIDING_EN, 5 ALIAS_CHECK_COMPLETE. */
export function decodePlatformInfo(info: bigint) {
  const bit = (n: number) => ((info >> BigInt(n)) & 1n) === 1n;
  return {
    raw: info.toString(16).padStart(16, '0'),
    smtEnabled: bit(0),
    tsmeEnabled: bit(1),
    eccEnabled: bit(2),
    raplDisabled: bit(3),
    ciphertextHidingEnabled: bit(4),
    aliasCheckComplete: bit(5),
  };
}
