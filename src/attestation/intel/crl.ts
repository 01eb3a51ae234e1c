/**
 * Certificate revocation lists (RFC 5280 §5), parsed with pkijs/asn1js; the
 * signature is checked with node:crypto over the exact tbsCertList bytes.
 * Intel publishes the PCK CRL (issued by the PCK Platform or Processor CA)
 * and the root CA CRL (issued by the Intel SGX Root CA), DER, ECDSA-SHA256
 * (Intel PCS API, "Get PCK Cert CRL" and the root CA CRL at
 * certificates.trustedservices.intel.com).
 */
import { verify as cryptoVerify, type X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { fail } from './bytes.js';
import { serialHex } from './certs.js';

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const PEM_CRL_RE = /-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]+?)-----END X509 CRL-----/;

export interface Crl {
  readonly what: string;
  readonly issuerDer: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** Serial numbers, lower-case hex without leading zeros. */
  readonly revoked: ReadonlySet<string>;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
}

/** DER or PEM bytes → Crl; `malformed` if it is neither. */
export function parseCrl(bytes: Uint8Array, what: string): Crl {
  let der: Uint8Array = bytes;
  const text = Buffer.from(bytes.subarray(0, 64)).toString('latin1');
  if (text.includes('-----BEGIN')) {
    const m = PEM_CRL_RE.exec(Buffer.from(bytes).toString('latin1'));
    if (!m) fail('malformed', `${what}: PEM without an X509 CRL block`);
    der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  }
  try {
    const asn = asn1js.fromBER(der);
    if (asn.offset === -1 || asn.offset !== der.byteLength) throw new Error('invalid DER');
    const crl = new pkijs.CertificateRevocationList({ schema: asn.result });
    const revoked = new Set<string>();
    for (const rc of crl.revokedCertificates ?? []) revoked.add(serialHex(rc.userCertificate.valueBlock.valueHexView));
    return {
      what,
      issuerDer: new Uint8Array(crl.issuer.toSchema().toBER(false)),
      thisUpdate: crl.thisUpdate.value,
      nextUpdate: crl.nextUpdate?.value,
      revoked,
      tbs: crl.tbsView,
      signatureAlgorithm: crl.signatureAlgorithm.algorithmId,
      signature: crl.signatureValue.valueBlock.valueHexView,
    };
  } catch (e) {
    return fail('malformed', `${what}: not a valid X.509 CRL (${(e as Error).message})`);
  }
}

/** The DER of a certificate's subject or issuer Name, for comparison with a CRL issuer. */
export function certNameDer(cert: X509Certificate, which: 'subject' | 'issuer'): Uint8Array {
  const asn = asn1js.fromBER(cert.raw);
  const c = new pkijs.Certificate({ schema: asn.result });
  return new Uint8Array((which === 'subject' ? c.subject : c.issuer).toSchema().toBER(false));
}

export function crlIssuedBy(crl: Crl, issuer: X509Certificate): boolean {
  return Buffer.from(crl.issuerDer).equals(Buffer.from(certNameDer(issuer, 'subject')));
}

/** The CRL's signature with the issuer's key: `bad-signature` if it does not verify. */
export function verifyCrlSignature(crl: Crl, issuer: X509Certificate): void {
  if (crl.signatureAlgorithm !== ECDSA_WITH_SHA256) {
    fail('bad-signature', `${crl.what}: signature algorithm ${crl.signatureAlgorithm} is not ecdsa-with-SHA256`);
  }
  let ok = false;
  try {
    ok = cryptoVerify('sha256', crl.tbs, issuer.publicKey, crl.signature);
  } catch {
    ok = false;
  }
  if (!ok) fail('bad-signature', `${crl.what}: the signature does not verify with the key of "${issuer.subject.replace(/\n/g, ', ')}"`);
}

/** `collateral-expired` when `now` is past nextUpdate (or before thisUpdate). */
export function checkCrlFreshness(crl: Crl, now: Date): void {
  if (!crl.nextUpdate) fail('malformed', `${crl.what}: no nextUpdate`);
  if (now.getTime() > crl.nextUpdate.getTime()) {
    fail('collateral-expired', `${crl.what}: next update was due ${crl.nextUpdate.toISOString()} (verification time ${now.toISOString()}); fetch a fresh CRL`);
  }
  if (now.getTime() < crl.thisUpdate.getTime()) {
    fail('collateral-expired', `${crl.what}: issued ${crl.thisUpdate.toISOString()}, after the verification time ${now.toISOString()}`);
  }
}

/** `revoked` if any of `certs` is listed. */
export function checkNotRevoked(crl: Crl, certs: readonly X509Certificate[]): void {
  for (const c of certs) {
    if (crl.revoked.has(serialHex(c.serialNumber))) {
      fail('revoked', `"${c.subject.replace(/\n/g, ', ')}" (serial ${serialHex(c.serialNumber)}) is revoked by ${crl.what}`);
    }
  }
}
