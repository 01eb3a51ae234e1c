/**
 * What node's X509Certificate does not expose, read from the certificate DER
 * with asn1js (RFC 5280 §4.1): the raw subject and issuer Names (CRL issuer
 * matching compares them byte for byte) and the value of one extension by
 * OID. One parse per certificate, memoised by its DER.
 */
import type { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { fail } from './reader.js';
import { keyOf, Memo } from './memo.js';

export interface CertDer {
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  /** extnID → the bytes inside the extnValue OCTET STRING. */
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

function read(cert: X509Certificate): CertDer {
  const what = `certificate "${cert.subject.replace(/\n/g, ', ')}"`;
  const tbs = seq(seq(parseDer(cert.raw, what), what)[0], `${what} tbsCertificate`);
  // TBSCertificate: [0] version, serialNumber, signature, issuer, validity, subject, …, [3] extensions
  const fields = tbs[0]?.idBlock.tagClass === 3 && tbs[0].idBlock.tagNumber === 0 ? tbs.slice(1) : tbs;
  const issuer = fields[2];
  const subject = fields[4];
  if (!(issuer instanceof asn1js.Sequence) || !(subject instanceof asn1js.Sequence)) fail('malformed', `${what}: no issuer or subject Name`);
  const extensions = new Map<string, Uint8Array>();
  for (const field of fields) {
    if (field.idBlock.tagClass !== 3 || field.idBlock.tagNumber !== 3) continue;
    for (const ext of seq((field as asn1js.Constructed).valueBlock.value[0], `${what} extensions`)) {
      const parts = seq(ext, `${what} extension`);
      const oid = parts[0];
      const value = parts[parts.length - 1];
      if (oid instanceof asn1js.ObjectIdentifier && value instanceof asn1js.OctetString) extensions.set(oid.valueBlock.toString(), value.valueBlock.valueHexView);
    }
  }
  return { issuerDer: issuer.valueBeforeDecodeView, subjectDer: subject.valueBeforeDecodeView, extensions };
}

export function certDer(cert: X509Certificate): CertDer {
  return memo.get(keyOf(cert.raw), () => read(cert));
}
