/**
 * What node's X509Certificate does not expose: the raw subject and issuer
 * Names (CRL issuer matching compares them byte for byte, RFC 5280 §5.1.2.3)
 * and extension values by OID. Both are sliced out of the DER by walking the
 * tag-length headers of Certificate, TBSCertificate and Extensions (RFC 5280
 * §4.1); the contents are then parsed with asn1js by the callers (asn1js on a
 * whole PCK certificate costs ~2.5 ms, on its SGX extension alone ~1 ms).
 * Memoised.
 */
import type { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { fail } from './reader.js';
import { keyOf, Memo } from './memo.js';

export interface CertDer {
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  /** DER of each extension's extnID OID (hex, full TLV) → the bytes inside its extnValue OCTET STRING. */
  readonly extensions: ReadonlyMap<string, Uint8Array>;
}

const memo = new Memo<CertDer>();

export function seq(node: asn1js.AsnType | undefined, what: string): asn1js.AsnType[] {
  if (!(node instanceof asn1js.Sequence)) fail('malformed', `${what}: expected a SEQUENCE`);
  return node.valueBlock.value;
}

export function parseDer(b: Uint8Array, what: string): asn1js.AsnType {
  const parsed = asn1js.fromBER(b);
  if (parsed.offset === -1 || parsed.offset !== b.byteLength) fail('malformed', `${what}: invalid DER`);
  return parsed.result;
}

/** The TLV at `off`: tag, content [start, end). `malformed` if out of bounds. */
function tlv(b: Uint8Array, off: number, what: string): { tag: number; start: number; end: number } {
  const tag = b[off];
  const first = b[off + 1];
  if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f) fail('malformed', `${what}: bad DER header`);
  let start = off + 2;
  let len = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 3 || start + n > b.length) fail('malformed', `${what}: bad DER length`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  if (start + len > b.length) fail('malformed', `${what}: DER length out of bounds`);
  return { tag, start, end: start + len };
}

function read(cert: X509Certificate): CertDer {
  const what = `certificate "${cert.subject.replace(/\n/g, ', ')}"`;
  const der = new Uint8Array(cert.raw);
  const tbs = tlv(der, tlv(der, 0, what).start, what);
  // TBSCertificate: [0] version, serialNumber, signature, issuer, validity, subject, …
  const fields: { tag: number; begin: number; start: number; end: number }[] = [];
  for (let at = tbs.start; at < tbs.end; ) {
    const h = tlv(der, at, what);
    fields.push({ tag: h.tag, begin: at, start: h.start, end: h.end });
    at = h.end;
  }
  const rest = fields[0]?.tag === 0xa0 ? fields.slice(1) : fields;
  const issuer = rest[2];
  const subject = rest[4];
  if (issuer?.tag !== 0x30 || subject?.tag !== 0x30) fail('malformed', `${what}: no issuer or subject Name`);
  const extensions = new Map<string, Uint8Array>();
  const explicit = fields.find((f) => f.tag === 0xa3); // [3] EXPLICIT Extensions
  if (explicit) {
    const list = tlv(der, explicit.start, what);
    if (list.tag !== 0x30) fail('malformed', `${what}: bad extensions`);
    for (let at = list.start; at < list.end; ) {
      const ext = tlv(der, at, what); // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
      const oid = tlv(der, ext.start, what);
      let valueAt = oid.end;
      if (der[valueAt] === 0x01) valueAt = tlv(der, valueAt, what).end;
      const value = tlv(der, valueAt, what);
      if (ext.tag !== 0x30 || oid.tag !== 0x06 || value.tag !== 0x04 || value.end !== ext.end) fail('malformed', `${what}: bad extension`);
      extensions.set(Buffer.from(der.subarray(ext.start, oid.end)).toString('hex'), der.subarray(value.start, value.end));
      at = ext.end;
    }
  }
  return {
    issuerDer: der.subarray(issuer.begin, issuer.end),
    subjectDer: der.subarray(subject.begin, subject.end),
    extensions,
  };
}

/** DER (TLV) of an OBJECT IDENTIFIER, hex: the key of `CertDer.extensions`. */
export function oidDerHex(oid: string): string {
  return Buffer.from(new asn1js.ObjectIdentifier({ value: oid }).toBER(false)).toString('hex');
}

/** The bytes inside an extension's extnValue OCTET STRING, or undefined when absent. */
export function certExtension(cert: X509Certificate, oid: string): Uint8Array | undefined {
  return certDer(cert).extensions.get(oidDerHex(oid));
}

export function certDer(cert: X509Certificate): CertDer {
  return memo.get(keyOf(cert.raw), () => read(cert));
}
