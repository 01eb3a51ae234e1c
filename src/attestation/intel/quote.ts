/**
 * Intel DCAP ECDSA quotes, versions 3, 4 and 5: header, body, signature data.
 *
 * Sources (Intel SGX ECDSA Quote Library API, Appendix A; Intel TDX DCAP
 * Quoting Library API, Appendix A):
 * - Quote header, 48 bytes: version u16 @0, attestation key type u16 @2
 *   (2 = ECDSA-256-with-P-256), TEE type u32 @4 (v4+: 0x00 SGX, 0x81 TDX; v3:
 *   reserved), QE SVN u16 @8 and PCE SVN u16 @10 (v3; reserved in v4+),
 *   QE vendor id @12 (16), user data @28 (20).
 * - v3 and v4: the body follows the header (SGX report 384 bytes, TD report 584).
 *   v5: a body descriptor first — type u16 (1 SGX, 2 TDX 1.0, 3 TDX 1.5), size u32.
 * - Then the signature data length u32 and the signature data:
 *   v3: quote signature (64, r||s), attestation key (64, x||y), QE report (384),
 *       QE report signature (64), QE authentication data (u16 size + data),
 *       certification data (type u16, size u32, data).
 *   v4/v5: quote signature, attestation key, certification data of type 6
 *       ("QE Report Certification Data") whose data is QE report, QE report
 *       signature, QE authentication data and a nested certification data.
 * - Certification data type 5 is the PCK certificate chain (PEM, leaf first).
 * The quote signature covers the header and the body (for v5 including the body
 * descriptor): every byte before the signature data length.
 */
import { fail, Reader } from './reader.js';
import {
  parseSgxReportBody,
  parseTdReportBody,
  SGX_REPORT_BODY_SIZE,
  TD10_REPORT_BODY_SIZE,
  TD15_REPORT_BODY_SIZE,
  type SgxReportBody,
  type TdReportBody,
} from './report-body.js';

export const HEADER_SIZE = 48;
/** Attestation key type 2: ECDSA-256-with-P-256 curve. */
export const ATT_KEY_TYPE_ECDSA_P256 = 2;
export const TEE_TYPE_SGX = 0x00000000;
export const TEE_TYPE_TDX = 0x00000081;
/** Certification data types (SGX ECDSA QL API Table 9). */
export const CERT_DATA_PCK_CHAIN = 5;
export const CERT_DATA_QE_REPORT = 6;
/** The Intel QE vendor id, 939A7233-F79C-4CA9-940A-0DB3957F0607. */
export const INTEL_QE_VENDOR_ID = '939a7233f79c4ca9940a0db3957f0607';

export interface QuoteHeader {
  readonly version: number;
  readonly attestationKeyType: number;
  readonly teeType: 'sgx' | 'tdx';
  readonly qeVendorId: Uint8Array;
  readonly userData: Uint8Array;
}

export interface Quote {
  readonly header: QuoteHeader;
  readonly body: SgxReportBody | TdReportBody;
  /** Header + (descriptor +) body: what the attestation key signed. */
  readonly signedBytes: Uint8Array;
  /** Raw r||s, 64 bytes. */
  readonly signature: Uint8Array;
  /** Raw x||y of the P-256 attestation key, 64 bytes. */
  readonly attestationKey: Uint8Array;
  /** The QE's SGX report, raw (384 bytes) and parsed. */
  readonly qeReportRaw: Uint8Array;
  readonly qeReport: SgxReportBody;
  readonly qeReportSignature: Uint8Array;
  readonly qeAuthData: Uint8Array;
  /** The PCK certificate chain, PEM bytes exactly as in the quote. */
  readonly pckChainPem: Uint8Array;
  /** Unsigned, unused bytes after the signature data. */
  readonly trailingBytes: number;
}

/** Cheap recognition: a DCAP quote of a version we know, with the given TEE. */
export function sniffQuote(b: Uint8Array, tee: 'sgx' | 'tdx'): boolean {
  if (b.length < HEADER_SIZE + SGX_REPORT_BODY_SIZE) return false;
  const version = b[0]! | (b[1]! << 8);
  const teeType = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
  const keyType = b[2]! | (b[3]! << 8);
  if (keyType !== 2 && keyType !== 3) return false;
  if (version === 3) return tee === 'sgx';
  if (version !== 4 && version !== 5) return false;
  return teeType === (tee === 'sgx' ? TEE_TYPE_SGX : TEE_TYPE_TDX);
}

function parseHeader(r: Reader): QuoteHeader {
  const version = r.u16('version');
  const attestationKeyType = r.u16('attestation key type');
  const teeRaw = r.u32('TEE type');
  r.bytes(4, 'reserved / QE SVN, PCE SVN');
  const qeVendorId = r.bytes(16, 'QE vendor id');
  const userData = r.bytes(20, 'user data');
  // Attestation key types defined by Intel: 2 (ECDSA-256-with-P-256) and 3
  // (ECDSA-384-with-P-384). Any other value means these bytes are not a DCAP
  // quote at all (`malformed`); a defined type with a version or key type we do
  // not handle is `unsupported-version`.
  if (attestationKeyType !== 2 && attestationKeyType !== 3) {
    fail('malformed', `not an Intel DCAP quote: attestation key type ${attestationKeyType} is undefined (2 = ECDSA-256, 3 = ECDSA-384)`);
  }
  if (version !== 3 && version !== 4 && version !== 5) {
    fail('unsupported-version', `quote version ${version} is not supported (3, 4 and 5 are)`);
  }
  if (attestationKeyType !== ATT_KEY_TYPE_ECDSA_P256) {
    fail('unsupported-version', `attestation key type ${attestationKeyType} (ECDSA-384) is not supported (only 2, ECDSA-256-with-P-256)`);
  }
  let teeType: 'sgx' | 'tdx';
  if (version === 3) teeType = 'sgx'; // v3 is SGX only; bytes 4..8 are reserved
  else if (teeRaw === TEE_TYPE_SGX) teeType = 'sgx';
  else if (teeRaw === TEE_TYPE_TDX) teeType = 'tdx';
  else fail('unsupported-version', `TEE type 0x${teeRaw.toString(16)} is not supported (0x0 SGX, 0x81 TDX)`);
  if (Buffer.from(qeVendorId).toString('hex') !== INTEL_QE_VENDOR_ID) {
    fail('unsupported-version', `QE vendor id ${Buffer.from(qeVendorId).toString('hex')} is not Intel's (${INTEL_QE_VENDOR_ID})`);
  }
  return { version, attestationKeyType, teeType, qeVendorId, userData };
}

function parseBody(r: Reader, header: QuoteHeader): SgxReportBody | TdReportBody {
  if (header.version === 5) {
    const type = r.u16('body type');
    const size = r.u32('body size');
    const expected: Record<number, [number, 'sgx' | 'tdx']> = {
      1: [SGX_REPORT_BODY_SIZE, 'sgx'],
      2: [TD10_REPORT_BODY_SIZE, 'tdx'],
      3: [TD15_REPORT_BODY_SIZE, 'tdx'],
    };
    const e = expected[type];
    if (!e) fail('unsupported-version', `quote v5 body type ${type} is not supported (1 SGX, 2 TDX 1.0, 3 TDX 1.5)`);
    if (e[1] !== header.teeType) fail('malformed', `quote v5 body type ${type} does not fit TEE type ${header.teeType}`);
    if (size !== e[0]) fail('malformed', `quote v5 body type ${type} must be ${e[0]} bytes, the descriptor says ${size}`);
    const b = r.bytes(size, 'report body');
    return type === 1 ? parseSgxReportBody(b) : parseTdReportBody(b);
  }
  if (header.teeType === 'sgx') return parseSgxReportBody(r.bytes(SGX_REPORT_BODY_SIZE, 'enclave report body'));
  return parseTdReportBody(r.bytes(TD10_REPORT_BODY_SIZE, 'TD report body'));
}

/** QE report, its signature, QE auth data, then the nested certification data. */
function parseQeReportCertData(r: Reader): Omit<Quote, 'header' | 'body' | 'signedBytes' | 'signature' | 'attestationKey' | 'trailingBytes'> {
  const qeReportRaw = r.bytes(SGX_REPORT_BODY_SIZE, 'QE report');
  const qeReportSignature = r.bytes(64, 'QE report signature');
  const authSize = r.u16('QE authentication data size');
  const qeAuthData = r.bytes(authSize, 'QE authentication data');
  const certType = r.u16('certification data type');
  const certSize = r.u32('certification data size');
  const certData = r.bytes(certSize, 'certification data');
  if (certType !== CERT_DATA_PCK_CHAIN) {
    fail('unsupported-version', `certification data type ${certType} is not supported: the quote must carry the PCK certificate chain (type 5)`);
  }
  return { qeReportRaw, qeReport: parseSgxReportBody(qeReportRaw), qeReportSignature, qeAuthData, pckChainPem: certData };
}

/** Parses a quote; throws `malformed` or `unsupported-version`, nothing else. */
export function parseQuote(b: Uint8Array): Quote {
  const r = new Reader(b, 'the quote');
  const header = parseHeader(r);
  const body = parseBody(r, header);
  const signedBytes = b.subarray(0, r.offset);
  const sigLen = r.u32('signature data length');
  if (sigLen > r.remaining) fail('malformed', `signature data length ${sigLen} exceeds the ${r.remaining} bytes left in the quote`);
  const sigData = new Reader(r.bytes(sigLen, 'signature data'), 'the quote signature data');
  // Bytes after the declared signature data are covered by nothing and used by
  // nothing; quote buffers handed over by drivers and tools can carry them, so
  // they are ignored (and counted in `trailingBytes`).
  const trailingBytes = r.remaining;
  const signature = sigData.bytes(64, 'quote signature');
  const attestationKey = sigData.bytes(64, 'attestation key');
  let rest: ReturnType<typeof parseQeReportCertData>;
  if (header.version === 3) {
    rest = parseQeReportCertData(sigData);
  } else {
    const type = sigData.u16('certification data type');
    const size = sigData.u32('certification data size');
    const inner = new Reader(sigData.bytes(size, 'certification data'), 'the QE report certification data');
    if (type !== CERT_DATA_QE_REPORT) {
      fail('unsupported-version', `certification data type ${type} is not supported in a v${header.version} quote (6, QE report certification data)`);
    }
    rest = parseQeReportCertData(inner);
    inner.endAllowingZeroPadding();
  }
  sigData.endAllowingZeroPadding();
  return { header, body, signedBytes, signature, attestationKey, ...rest, trailingBytes };
}
