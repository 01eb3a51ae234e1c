/**
 * Test helpers for DCAP quotes: the byte regions of every signed field group
 * (computed from the parser's own sub-arrays, so they follow the spec layout
 * for v3, v4 and v5), and rebuilding a quote around another PCK chain.
 */
import { certificatesIn, derToPem } from '../../src/attestation/bytes.js';
import { parseQuote } from '../../src/attestation/intel/quote.js';
import type { ReasonCode } from '../../src/attestation/verifier.js';
import type { Region } from './contract.js';

const at = (evidence: Uint8Array, sub: Uint8Array): number => sub.byteOffset - evidence.byteOffset;

function region(evidence: Uint8Array, name: string, sub: Uint8Array, reason?: ReasonCode): Region {
  const start = at(evidence, sub);
  return { name, start, end: start + sub.length, ...(reason ? { reason } : {}) };
}

/** The field offsets inside a 384-byte SGX report (SGX ECDSA QL API Table 5). */
const SGX_REPORT_FIELDS: readonly [string, number, number][] = [
  ['CPUSVN', 0, 16],
  ['MISCSELECT', 16, 20],
  ['reserved 20..48', 20, 48],
  ['ATTRIBUTES', 48, 64],
  ['MRENCLAVE', 64, 96],
  ['reserved 96..128', 96, 128],
  ['MRSIGNER', 128, 160],
  ['reserved 160..256', 160, 256],
  ['ISVPRODID', 256, 258],
  ['ISVSVN', 258, 260],
  ['reserved 260..320', 260, 320],
  ['REPORTDATA', 320, 384],
];

/** TD quote body fields (TDX DCAP QL API A.3.2), plus TDX 1.5's. */
const TD_REPORT_FIELDS: readonly [string, number, number][] = [
  ['TEE_TCB_SVN', 0, 16],
  ['MRSEAM', 16, 64],
  ['MRSIGNERSEAM', 64, 112],
  ['SEAMATTRIBUTES', 112, 120],
  ['TDATTRIBUTES', 120, 128],
  ['XFAM', 128, 136],
  ['MRTD', 136, 184],
  ['MRCONFIGID', 184, 232],
  ['MROWNER', 232, 280],
  ['MROWNERCONFIG', 280, 328],
  ['RTMR0', 328, 376],
  ['RTMR1', 376, 424],
  ['RTMR2', 424, 472],
  ['RTMR3', 472, 520],
  ['REPORTDATA', 520, 584],
];
const TD15_EXTRA: readonly [string, number, number][] = [
  ['TEE_TCB_SVN_2', 584, 600],
  ['MRSERVICETD', 600, 648],
];

export interface QuoteRegions {
  readonly signedRegions: Region[];
  readonly signatureRegions: Region[];
}

export function quoteRegions(evidence: Uint8Array): QuoteRegions {
  const q = parseQuote(evidence);
  const v4plus = q.header.version >= 4;
  const header: Region[] = [
    { name: 'header version', start: 0, end: 2, reason: 'unsupported-version' },
    { name: 'header attestation key type', start: 2, end: 4, reason: 'malformed' },
    v4plus ? { name: 'header TEE type', start: 4, end: 8, reason: 'unsupported-version' } : { name: 'header reserved 4..8', start: 4, end: 8 },
    { name: v4plus ? 'header reserved 8..12' : 'header QE SVN, PCE SVN', start: 8, end: 12 },
    { name: 'header QE vendor id', start: 12, end: 28, reason: 'unsupported-version' },
    { name: 'header user data', start: 28, end: 48 },
  ];
  const bodyStart = at(evidence, q.body.reportData) - (q.body.kind === 'sgx' ? 320 : 520);
  const fields = q.body.kind === 'sgx' ? SGX_REPORT_FIELDS : q.body.kind === 'td10' ? TD_REPORT_FIELDS : [...TD_REPORT_FIELDS, ...TD15_EXTRA];
  const body = fields.map(([name, s, e]): Region => ({ name: `body ${name}`, start: bodyStart + s, end: bodyStart + e }));
  const v5 = q.header.version === 5 ? [{ name: 'v5 body type', start: 48, end: 50, reason: 'unsupported-version' as const }] : [];
  const qeStart = at(evidence, q.qeReportRaw);
  const qe = SGX_REPORT_FIELDS.map(([name, s, e]): Region => ({ name: `QE report ${name}`, start: qeStart + s, end: qeStart + e }));
  return {
    signedRegions: [
      ...header,
      ...v5,
      ...body,
      region(evidence, 'attestation key', q.attestationKey),
      ...qe,
      ...(q.qeAuthData.length > 0 ? [region(evidence, 'QE authentication data', q.qeAuthData)] : []),
    ],
    signatureRegions: [region(evidence, 'quote signature', q.signature), region(evidence, 'QE report signature', q.qeReportSignature)],
  };
}

const u32 = (b: Uint8Array, o: number): number => Buffer.from(b.buffer, b.byteOffset, b.byteLength).readUInt32LE(o);
const setU32 = (b: Uint8Array, o: number, v: number): void => void Buffer.from(b.buffer, b.byteOffset, b.byteLength).writeUInt32LE(v, o);

/** The quote with its PCK chain replaced by `pem`, every enclosing length fixed up. */
export function replacePckChain(evidence: Uint8Array, pem: Uint8Array | string): Uint8Array {
  const q = parseQuote(evidence);
  const newPem = typeof pem === 'string' ? Buffer.from(pem, 'latin1') : Buffer.from(pem);
  const start = at(evidence, q.pckChainPem);
  const end = start + q.pckChainPem.length;
  const delta = newPem.length - q.pckChainPem.length;
  const out = new Uint8Array(Buffer.concat([evidence.subarray(0, start), newPem, evidence.subarray(end)]));
  setU32(out, start - 4, newPem.length); // certification data (type 5) size
  const sigLenAt = at(evidence, q.signature) - 4;
  setU32(out, sigLenAt, u32(out, sigLenAt) + delta);
  if (q.header.version >= 4) {
    const outerSizeAt = at(evidence, q.attestationKey) + 64 + 2; // type 6 certification data size
    setU32(out, outerSizeAt, u32(out, outerSizeAt) + delta);
  }
  return out;
}

export function pckChainDers(evidence: Uint8Array): Uint8Array[] {
  return certificatesIn(parseQuote(evidence).pckChainPem);
}

/** The PCK chain with certificate `index` replaced by `der` (or a broken-signature copy of itself). */
export function withPckCertificate(evidence: Uint8Array, index: number, der?: Uint8Array): Uint8Array {
  const ders = pckChainDers(evidence);
  const old = ders[index];
  if (!old) throw new RangeError(`no PCK chain certificate #${index}`);
  const replacement = der ?? new Uint8Array(old);
  if (!der) replacement[replacement.length - 1]! ^= 0xff;
  ders[index] = replacement;
  return replacePckChain(evidence, ders.map((d) => derToPem(d)).join(''));
}
