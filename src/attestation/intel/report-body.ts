/**
 * The two report bodies a DCAP quote carries: the SGX enclave report (also the
 * QE report inside every quote) and the TDX TD report.
 *
 * Sources: Intel SGX ECDSA Quote Library API, Appendix A, Table 5 "Enclave
 * Report Body" (= SGX REPORTBODY, SDM Vol. 3D §38.15); Intel TDX DCAP Quoting
 * Library API, Appendix A.3.2 "TD Quote Body" (TDX 1.0, 584 bytes) and A.4
 * (TDX 1.5 adds TEE_TCB_SVN_2 and MRSERVICETD, 648 bytes).
 */
import { hex } from '../bytes.js';

export const SGX_REPORT_BODY_SIZE = 384;
export const TD10_REPORT_BODY_SIZE = 584;
export const TD15_REPORT_BODY_SIZE = 648;

export interface SgxReportBody {
  readonly kind: 'sgx';
  /** Offset 0, 16 bytes. */
  readonly cpuSvn: Uint8Array;
  /** Offset 16, u32 LE. */
  readonly miscSelect: number;
  /** Offset 48, 16 bytes: FLAGS (u64 LE; bit 1 = DEBUG) then XFRM. */
  readonly attributes: Uint8Array;
  /** Offset 64, 32 bytes. */
  readonly mrEnclave: Uint8Array;
  /** Offset 128, 32 bytes. */
  readonly mrSigner: Uint8Array;
  /** Offset 256, u16 LE. */
  readonly isvProdId: number;
  /** Offset 258, u16 LE. */
  readonly isvSvn: number;
  /** Offset 320, 64 bytes. */
  readonly reportData: Uint8Array;
}

export interface TdReportBody {
  readonly kind: 'td10' | 'td15';
  /** Offset 0, 16 bytes: [0] TDX module minor SVN, [1] module major version, [2] SEAM last patch SVN. */
  readonly teeTcbSvn: Uint8Array;
  /** Offset 16, 48 bytes. */
  readonly mrSeam: Uint8Array;
  /** Offset 64, 48 bytes. */
  readonly mrSignerSeam: Uint8Array;
  /** Offset 112, 8 bytes. */
  readonly seamAttributes: Uint8Array;
  /** Offset 120, 8 bytes: TUD.DEBUG is bit 0 of byte 0. */
  readonly tdAttributes: Uint8Array;
  /** Offset 128, 8 bytes. */
  readonly xfam: Uint8Array;
  /** Offset 136, 48 bytes. */
  readonly mrTd: Uint8Array;
  /** Offset 184, 48 bytes. */
  readonly mrConfigId: Uint8Array;
  /** Offset 232, 48 bytes. */
  readonly mrOwner: Uint8Array;
  /** Offset 280, 48 bytes. */
  readonly mrOwnerConfig: Uint8Array;
  /** Offsets 328, 376, 424, 472; 48 bytes each. */
  readonly rtmr: readonly [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  /** Offset 520, 64 bytes. */
  readonly reportData: Uint8Array;
  /** TDX 1.5 only: offset 584, 16 bytes. */
  readonly teeTcbSvn2?: Uint8Array;
  /** TDX 1.5 only: offset 600, 48 bytes. */
  readonly mrServiceTd?: Uint8Array;
}

const u16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number): number => (u16(b, o) | (u16(b, o + 2) << 16)) >>> 0;

/** `b` must be exactly SGX_REPORT_BODY_SIZE bytes (the caller's Reader checked). */
export function parseSgxReportBody(b: Uint8Array): SgxReportBody {
  return {
    kind: 'sgx',
    cpuSvn: b.subarray(0, 16),
    miscSelect: u32(b, 16),
    attributes: b.subarray(48, 64),
    mrEnclave: b.subarray(64, 96),
    mrSigner: b.subarray(128, 160),
    isvProdId: u16(b, 256),
    isvSvn: u16(b, 258),
    reportData: b.subarray(320, 384),
  };
}

/** SGX ATTRIBUTES.FLAGS bit 1 (DEBUG), SDM Vol. 3D Table 38-3. */
export function sgxDebug(body: SgxReportBody): boolean {
  return (body.attributes[0]! & 0x02) !== 0;
}

/** `b` is TD10_REPORT_BODY_SIZE or TD15_REPORT_BODY_SIZE bytes. */
export function parseTdReportBody(b: Uint8Array): TdReportBody {
  const at = (o: number, n: number): Uint8Array => b.subarray(o, o + n);
  const base = {
    teeTcbSvn: at(0, 16),
    mrSeam: at(16, 48),
    mrSignerSeam: at(64, 48),
    seamAttributes: at(112, 8),
    tdAttributes: at(120, 8),
    xfam: at(128, 8),
    mrTd: at(136, 48),
    mrConfigId: at(184, 48),
    mrOwner: at(232, 48),
    mrOwnerConfig: at(280, 48),
    rtmr: [at(328, 48), at(376, 48), at(424, 48), at(472, 48)] as const,
    reportData: at(520, 64),
  };
  if (b.length === TD15_REPORT_BODY_SIZE) return { kind: 'td15', ...base, teeTcbSvn2: at(584, 16), mrServiceTd: at(600, 48) };
  return { kind: 'td10', ...base };
}

/** TDX module spec, TDATTRIBUTES: TUD.DEBUG is bit 0. */
export function tdDebug(body: TdReportBody): boolean {
  return (body.tdAttributes[0]! & 0x01) !== 0;
}

export function hexOf(b: Uint8Array | undefined): string {
  return b ? hex(b) : '';
}
