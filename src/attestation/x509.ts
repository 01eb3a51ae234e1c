/**
 * Certificates for the verifiers: parse once (cached by SHA-256 of the DER),
 * expose what chain checks need. Signatures are checked with node:crypto's
 * X509Certificate (it handles RSA-PSS and ECDSA); extensions are read with
 * asn1js, since node does not expose private-OID extensions.
 */
import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AttestationError } from './verifier.js';

export interface ParsedCert {
  readonly der: Uint8Array;
  readonly x509: X509Certificate;
  readonly publicKey: KeyObject;
  /** SHA-256 of the DER, hex. */
  readonly fingerprint: string;
  readonly subject: string;
  readonly issuer: string;
  readonly subjectCN: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** extnID → the contents of extnValue (the bytes inside the OCTET STRING); parsed on first use. */
  readonly extensions: ReadonlyMap<string, Uint8Array>;
}

const MAX_CACHE = 256;
const cache = new Map<string, ParsedCert>();

function commonName(dn: string): string {
  for (const line of dn.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return '';
}

function readExtensions(der: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1) throw new Error('bad BER');
  const tbs = (parsed.result as asn1js.Sequence).valueBlock.value[0];
  if (!(tbs instanceof asn1js.Sequence)) throw new Error('no tbsCertificate');
  for (const el of tbs.valueBlock.value) {
    // RFC 5280 §4.1: extensions [3] EXPLICIT Extensions
    if (el.idBlock.tagClass !== 3 || el.idBlock.tagNumber !== 3) continue;
    const seq = (el as asn1js.Constructed).valueBlock.value[0];
    if (!(seq instanceof asn1js.Sequence)) throw new Error('bad extensions');
    for (const ext of seq.valueBlock.value) {
      if (!(ext instanceof asn1js.Sequence)) throw new Error('bad extension');
      const [oid, ...rest] = ext.valueBlock.value;
      const value = rest[rest.length - 1];
      if (!(oid instanceof asn1js.ObjectIdentifier) || !(value instanceof asn1js.OctetString)) throw new Error('bad extension');
      out.set(oid.valueBlock.toString(), new Uint8Array(value.valueBlock.valueHexView));
    }
  }
  return out;
}

/** Forget parsed certificates (benchmarks measure the cold path with it). */
export function clearCertificateCache(): void {
  cache.clear();
}

/** Parse a DER certificate; `what` names it in the `malformed` message. */
export function parseCert(der: Uint8Array, what: string): ParsedCert {
  const fingerprint = createHash('sha256').update(der).digest('hex');
  const hit = cache.get(fingerprint);
  if (hit) return hit;
  let cert: ParsedCert;
  try {
    const x509 = new X509Certificate(der);
    const notBefore = new Date(x509.validFrom);
    const notAfter = new Date(x509.validTo);
    if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) throw new Error('bad validity');
    const copy = new Uint8Array(der);
    let extensions: Map<string, Uint8Array> | undefined;
    cert = {
      der: copy,
      x509,
      publicKey: x509.publicKey, // throws here, not later, for a key that does not decode (e.g. an EC point off the curve)
      fingerprint,
      subject: x509.subject,
      issuer: x509.issuer,
      subjectCN: commonName(x509.subject),
      notBefore,
      notAfter,
      // asn1js takes ~1.5 ms per certificate: only the endorsement key's extensions are ever read.
      get extensions() {
        if (extensions === undefined) {
          try {
            extensions = readExtensions(copy);
          } catch {
            throw new AttestationError('malformed', `${what} has malformed extensions`);
          }
        }
        return extensions;
      },
    };
  } catch {
    throw new AttestationError('malformed', `${what} is not a valid X.509 certificate`);
  }
  if (cache.size >= MAX_CACHE) cache.clear();
  cache.set(fingerprint, cert);
  return cert;
}

/** Whether `issuer`'s key signed `subject` and the names chain. Never throws. */
export function issuedBy(subject: ParsedCert, issuer: ParsedCert): boolean {
  if (subject.issuer !== issuer.subject) return false;
  try {
    return subject.x509.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** Throw `cert-expired` / `cert-not-yet-valid` for the first certificate out of its validity at `now` (expiry first). */
export function checkValidity(certs: readonly { readonly name: string; readonly cert: ParsedCert }[], now: Date): void {
  for (const { name, cert } of certs) {
    if (now.getTime() > cert.notAfter.getTime()) {
      throw new AttestationError('cert-expired', `the ${name} certificate expired on ${cert.notAfter.toISOString()} (verification time ${now.toISOString()})`);
    }
  }
  for (const { name, cert } of certs) {
    if (now.getTime() < cert.notBefore.getTime()) {
      throw new AttestationError('cert-not-yet-valid', `the ${name} certificate is valid only from ${cert.notBefore.toISOString()} (verification time ${now.toISOString()})`);
    }
  }
}

/** A DER INTEGER (as found inside an extension value) as a number, or undefined. */
export function derSmallInteger(b: Uint8Array | undefined): number | undefined {
  if (!b || b.length < 3 || b[0] !== 0x02 || b[1] !== b.length - 2 || b.length > 8) return undefined;
  let n = 0;
  for (const x of b.subarray(2)) n = n * 256 + x;
  return (b[2] ?? 0) & 0x80 ? undefined : n;
}

/** A DER IA5String / UTF8String / PrintableString as text, or undefined. */
export function derString(b: Uint8Array | undefined): string | undefined {
  if (!b || b.length < 2 || ![0x16, 0x0c, 0x13].includes(b[0] ?? 0) || b[1] !== b.length - 2) return undefined;
  return Buffer.from(b.subarray(2)).toString('utf8');
}
