/**
 * Certificate revocation lists (RFC 5280 §5), parsed with asn1js; the
 * signature is checked with node:crypto over the exact tbsCertList bytes.
 * Intel publishes the PCK CRL (issued by the PCK Platform or Processor CA)
 * and the root CA CRL (issued by the Intel SGX Root CA), DER, ECDSA-SHA256
 * (Intel PCS API, "Get PCK Cert CRL" and the root CA CRL at
 * certificates.trustedservices.intel.com).
 */
import { verify as cryptoVerify, type X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AttestationError } from '../verifier.js';
import { fail } from './reader.js';
import { certDer, parseDer, seq } from './cert-der.js';
import { serialHex } from './certs.js';
import { keyOf, Memo } from './memo.js';

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

const crls = new Memo<Crl>(64);
const crlSignatures = new Memo<true>();

/** DER or PEM bytes → Crl (memoised by the bytes); `malformed` if it is neither. */
export function parseCrl(bytes: Uint8Array, what: string): Crl {
  try {
    return { ...crls.get(keyOf(bytes), () => parseCrlUncached(bytes, what)), what };
  } catch (e) {
    if (e instanceof AttestationError) throw e;
    return fail('malformed', `${what}: not a valid X.509 CRL (${(e as Error).message})`);
  }
}

function time(node: asn1js.AsnType | undefined, what: string): Date {
  if (!(node instanceof asn1js.UTCTime || node instanceof asn1js.GeneralizedTime)) fail('malformed', `${what}: expected a time`);
  const d = node.toDate();
  if (Number.isNaN(d.getTime())) fail('malformed', `${what}: invalid time`);
  return d;
}

/** RFC 5280 §5.1: CertificateList, read with asn1js (no schema pass: it is the slow part). */
function parseCrlUncached(bytes: Uint8Array, what: string): Crl {
  let der: Uint8Array = bytes;
  if (Buffer.from(bytes.subarray(0, 64)).toString('latin1').includes('-----BEGIN')) {
    const m = PEM_CRL_RE.exec(Buffer.from(bytes).toString('latin1'));
    if (!m) fail('malformed', `${what}: PEM without an X509 CRL block`);
    der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  }
  const [tbsNode, algNode, sigNode] = seq(parseDer(der, what), what);
  const tbsFields = seq(tbsNode, `${what} tbsCertList`);
  // version INTEGER OPTIONAL, signature, issuer, thisUpdate, nextUpdate OPTIONAL, revokedCertificates OPTIONAL, [0] crlExtensions OPTIONAL
  const f = tbsFields[0] instanceof asn1js.Integer ? tbsFields.slice(1) : tbsFields;
  const issuer = f[1];
  if (!(issuer instanceof asn1js.Sequence)) fail('malformed', `${what}: no issuer Name`);
  const thisUpdate = time(f[2], `${what} thisUpdate`);
  let i = 3;
  let nextUpdate: Date | undefined;
  if (f[i] instanceof asn1js.UTCTime || f[i] instanceof asn1js.GeneralizedTime) nextUpdate = time(f[i++], `${what} nextUpdate`);
  const revoked = new Set<string>();
  if (f[i] instanceof asn1js.Sequence) {
    for (const entry of seq(f[i], `${what} revokedCertificates`)) {
      const serial = seq(entry, `${what} revoked entry`)[0];
      if (!(serial instanceof asn1js.Integer)) fail('malformed', `${what}: revoked entry without a serial number`);
      revoked.add(serialHex(serial.valueBlock.valueHexView));
    }
  }
  const alg = seq(algNode, `${what} signatureAlgorithm`)[0];
  if (!(alg instanceof asn1js.ObjectIdentifier)) fail('malformed', `${what}: no signature algorithm`);
  if (!(sigNode instanceof asn1js.BitString)) fail('malformed', `${what}: no signature`);
  return {
    what,
    issuerDer: issuer.valueBeforeDecodeView,
    thisUpdate,
    nextUpdate,
    revoked,
    tbs: (tbsNode as asn1js.Sequence).valueBeforeDecodeView,
    signatureAlgorithm: alg.valueBlock.toString(),
    signature: sigNode.valueBlock.valueHexView,
  };
}

export function crlIssuedBy(crl: Crl, issuer: X509Certificate): boolean {
  return Buffer.from(crl.issuerDer).equals(Buffer.from(certDer(issuer).subjectDer));
}

/** The CRL's signature with the issuer's key: `bad-signature` if it does not verify. */
export function verifyCrlSignature(crl: Crl, issuer: X509Certificate): void {
  if (crl.signatureAlgorithm !== ECDSA_WITH_SHA256) {
    fail('bad-signature', `${crl.what}: signature algorithm ${crl.signatureAlgorithm} is not ecdsa-with-SHA256`);
  }
  let ok = false;
  try {
    // Only successes are memoised (see memo.ts).
    ok = crlSignatures.get(keyOf(crl.tbs, crl.signature, issuer.raw), () => {
      if (cryptoVerify('sha256', crl.tbs, issuer.publicKey, crl.signature)) return true;
      throw new Error('bad signature');
    });
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
