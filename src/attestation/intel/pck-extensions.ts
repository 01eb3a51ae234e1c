/**
 * The Intel SGX extension of a PCK certificate, OID 1.2.840.113741.1.13.1
 * (Intel "SGX PCK Certificate and Certificate Revocation List Profile
 * Specification", §1.3.5 "Intel SGX Extensions"): a SEQUENCE of
 * SEQUENCE { OID, value } with
 *   .1 PPID OCTET STRING (16)
 *   .2 TCB SEQUENCE { .2.1 … .2.16 SGX TCB component SVNs INTEGER,
 *                     .2.17 PCESVN INTEGER, .2.18 CPUSVN OCTET STRING (16) }
 *   .3 PCE-ID OCTET STRING (2)
 *   .4 FMSPC OCTET STRING (6)
 *   .5 SGX type ENUMERATED (0 Standard, 1 Scalable, 2 Scalable with integrity)
 *   .6 platform instance id, .7 configuration (Platform CA certificates only).
 */
import type { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { hex } from '../bytes.js';
import { fail } from './reader.js';
import { certExtension, parseDer, seq } from './cert-der.js';
import { keyOf, Memo } from './memo.js';

export const SGX_EXTENSION_OID = '1.2.840.113741.1.13.1';

export interface PckExtensions {
  readonly ppid: string;
  /** The 16 SGX TCB component SVNs (.2.1 … .2.16). */
  readonly cpuSvnComponents: readonly number[];
  readonly pceSvn: number;
  readonly cpuSvn: string;
  readonly pceId: string;
  readonly fmspc: string;
  readonly sgxType: 'Standard' | 'Scalable' | 'ScalableWithIntegrity';
}

/** SEQUENCE OF SEQUENCE { OID, value } → Map oid → value. */
function oidMap(node: asn1js.AsnType, what: string): Map<string, asn1js.AsnType> {
  const out = new Map<string, asn1js.AsnType>();
  for (const item of seq(node, what)) {
    const [oid, value] = seq(item, what);
    if (!(oid instanceof asn1js.ObjectIdentifier) || value === undefined) fail('malformed', `${what}: expected { OID, value }`);
    out.set(oid.valueBlock.toString(), value);
  }
  return out;
}

function octets(m: Map<string, asn1js.AsnType>, oid: string, len: number, what: string): Uint8Array {
  const v = m.get(oid);
  if (!(v instanceof asn1js.OctetString) || v.valueBlock.valueHexView.length !== len) fail('malformed', `${what}: ${oid} must be an OCTET STRING of ${len} bytes`);
  return v.valueBlock.valueHexView;
}

function integer(m: Map<string, asn1js.AsnType>, oid: string, what: string): number {
  const v = m.get(oid);
  if (!(v instanceof asn1js.Integer || v instanceof asn1js.Enumerated)) fail('malformed', `${what}: ${oid} must be an INTEGER`);
  const n = v.valueBlock.valueDec;
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffff) fail('malformed', `${what}: ${oid} is out of range`);
  return n;
}

const parsed = new Memo<PckExtensions>();

/** Reads the SGX extension (memoised by the certificate); `malformed` if it is absent or does not follow the profile. */
export function parsePckExtensions(cert: X509Certificate): PckExtensions {
  return parsed.get(keyOf(cert.raw), () => parseUncached(cert));
}

function parseUncached(cert: X509Certificate): PckExtensions {
  const what = 'PCK certificate SGX extension';
  const value = certExtension(cert, SGX_EXTENSION_OID);
  if (!value) fail('malformed', `the PCK certificate has no Intel SGX extension (${SGX_EXTENSION_OID})`);
  const top = oidMap(parseDer(value, what), what);
  const base = SGX_EXTENSION_OID;
  const tcbNode = top.get(`${base}.2`);
  if (!tcbNode) fail('malformed', `${what}: TCB (${base}.2) missing`);
  const tcb = oidMap(tcbNode, `${what} TCB`);
  const cpuSvnComponents: number[] = [];
  for (let i = 1; i <= 16; i++) {
    const svn = integer(tcb, `${base}.2.${i}`, what);
    if (svn > 255) fail('malformed', `${what}: TCB component ${i} SVN ${svn} exceeds 255`);
    cpuSvnComponents.push(svn);
  }
  const typeNum = integer(top, `${base}.5`, what);
  const sgxTypes = ['Standard', 'Scalable', 'ScalableWithIntegrity'] as const;
  const sgxType = sgxTypes[typeNum];
  if (!sgxType) fail('malformed', `${what}: unknown SGX type ${typeNum}`);
  return {
    ppid: hex(octets(top, `${base}.1`, 16, what)),
    cpuSvnComponents,
    pceSvn: integer(tcb, `${base}.2.17`, what),
    cpuSvn: hex(octets(tcb, `${base}.2.18`, 16, what)),
    pceId: hex(octets(top, `${base}.3`, 2, what)),
    fmspc: hex(octets(top, `${base}.4`, 6, what)),
    sgxType,
  };
}
