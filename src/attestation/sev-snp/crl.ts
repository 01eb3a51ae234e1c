/**
 * AMD's certificate revocation list (KDS `/vcek/v1/{product}/crl`, or
 * `/vlek/v1/…`): an X.509 CRL (RFC 5280 §5) issued and signed by the ARK
 * (RSASSA-PSS, SHA-384), listing revoked ASKs/ASVKs. Parsed with pkijs; the
 * signature is checked with node:crypto over the exact tbsCertList bytes.
 * Optional: used when collateral `amd-crl` is given.
 */
import { constants, verify, type KeyObject } from 'node:crypto';
import * as pkijs from 'pkijs';
import { AttestationError } from '../verifier.js';
import type { ParsedCert } from '../x509.js';

const RSA_PSS = '1.2.840.113549.1.1.10';
const ECDSA: Readonly<Record<string, string>> = { '1.2.840.10045.4.3.2': 'sha256', '1.2.840.10045.4.3.3': 'sha384', '1.2.840.10045.4.3.4': 'sha512' };
const HASHES: Readonly<Record<string, string>> = { '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.1': 'sha256', '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512' };

function crlDer(bytes: Uint8Array): Uint8Array {
  const text = Buffer.from(bytes).toString('latin1');
  const m = /-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]+?)-----END X509 CRL-----/.exec(text);
  return m ? new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')) : bytes;
}

function parse(bytes: Uint8Array): pkijs.CertificateRevocationList {
  try {
    return pkijs.CertificateRevocationList.fromBER(crlDer(bytes));
  } catch {
    throw new AttestationError('malformed', 'collateral "amd-crl" is not an X.509 CRL (DER or PEM)');
  }
}

function signatureValid(crl: pkijs.CertificateRevocationList, key: KeyObject): boolean {
  const oid = crl.signatureAlgorithm.algorithmId;
  const tbs = crl.tbsView;
  const sig = crl.signatureValue.valueBlock.valueHexView;
  try {
    if (oid === RSA_PSS) {
      const params = new pkijs.RSASSAPSSParams({ schema: crl.signatureAlgorithm.algorithmParams });
      const hash = HASHES[params.hashAlgorithm.algorithmId];
      if (!hash) return false;
      return verify(hash, tbs, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: params.saltLength }, sig);
    }
    const hash = ECDSA[oid];
    return hash !== undefined && verify(hash, tbs, key, sig);
  } catch {
    return false;
  }
}

const serialHex = (hex: string) => hex.toLowerCase().replace(/^0+(?=.)/, '');

/**
 * Check `ask` (issued by `ark`) against the ARK's CRL at `now`: signature
 * (bad-signature), thisUpdate/nextUpdate (collateral-expired), revocation (revoked).
 */
export function checkAmdCrl(bytes: Uint8Array, ark: ParsedCert, ask: ParsedCert, now: Date): void {
  const crl = parse(bytes);
  if (!signatureValid(crl, ark.publicKey)) throw new AttestationError('bad-signature', `the AMD CRL is not signed by ${ark.subjectCN}`);
  const thisUpdate = crl.thisUpdate.value;
  const nextUpdate = crl.nextUpdate?.value;
  if (thisUpdate.getTime() > now.getTime()) {
    throw new AttestationError('collateral-expired', `the AMD CRL was issued ${thisUpdate.toISOString()}, after the verification time ${now.toISOString()}`);
  }
  if (nextUpdate && nextUpdate.getTime() < now.getTime()) {
    throw new AttestationError('collateral-expired', `the AMD CRL's next update was due ${nextUpdate.toISOString()} (verification time ${now.toISOString()}); fetch a fresh one from AMD KDS`);
  }
  const serial = serialHex(ask.x509.serialNumber);
  for (const r of crl.revokedCertificates ?? []) {
    if (serialHex(Buffer.from(r.userCertificate.valueBlock.valueHexView).toString('hex')) === serial) {
      throw new AttestationError('revoked', `${ask.subjectCN} (serial ${serial}) is revoked by the AMD CRL of ${ark.subjectCN}`);
    }
  }
}
