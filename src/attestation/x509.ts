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

/** The CN of node's DN text: one RDN per line; a multi-valued RDN joins its parts with " + ". */
function commonName(dn: string): string {
  for (const rdn of dn.split('\n')) for (const part of rdn.split(' + ')) if (part.startsWith('CN=')) return part.slice(3);
  return '';
}

/** One DER tag-length header at `off`: the tag byte and the content's [start, end). Throws on anything out of bounds. */
function header(b: Uint8Array, off: number): { tag: number; start: number; end: number } {
  const tag = b[off];
  let len = b[off + 1];
  if (tag === undefined || len === undefined || (tag & 0x1f) === 0x1f) throw new Error('bad DER header');
  let start = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[start + i] ?? NaN);
    start += n;
  }
  const end = start + len;
  if (!Number.isInteger(end) || end > b.length) throw new Error('DER length out of bounds');
  return { tag, start, end };
}

/**
 * The extensions of a certificate. The DER headers of Certificate and
 * tbsCertificate are walked by hand only to find `[3] EXPLICIT Extensions`
 * (RFC 5280 §4.1); asn1js parses the extensions themselves (parsing the whole
 * certificate with asn1js costs ~1.5 ms, the extensions alone ~0.3 ms).
 */
function readExtensions(der: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const cert = header(der, 0);
  const tbs = header(der, cert.start);
  let at = tbs.start;
  let found: { start: number; end: number } | undefined;
  while (at < tbs.end) {
    const h = header(der, at);
    if (h.tag === 0xa3) found = h;
    at = h.end;
  }
  if (!found) return out;
  const parsed = asn1js.fromBER(der.slice(found.start, found.end));
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) throw new Error('bad extensions');
  for (const ext of parsed.result.valueBlock.value) {
    if (!(ext instanceof asn1js.Sequence)) throw new Error('bad extension');
    const [oid, ...rest] = ext.valueBlock.value;
    const value = rest[rest.length - 1];
    if (!(oid instanceof asn1js.ObjectIdentifier) || !(value instanceof asn1js.OctetString)) throw new Error('bad extension');
    out.set(oid.valueBlock.toString(), new Uint8Array(value.valueBlock.valueHexView));
  }
  return out;
}

/** Forget parsed certificates, except those whose SHA-256 is in `keep` (benchmarks measure cold paths with it). */
export function clearCertificateCache(keep: readonly string[] = []): void {
  for (const fp of [...cache.keys()]) if (!keep.includes(fp)) cache.delete(fp);
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
