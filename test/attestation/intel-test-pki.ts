/**
 * A throw-away PKI for revocation tests: a self-signed P-256 CA and CRLs it
 * signs, built with pkijs and keys from node:crypto. Nothing here is trusted
 * by the verifier: the real chains stay pinned to the Intel SGX Root CA.
 */
import { generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { pckChainDers } from './intel-quote-edit.js';

const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const alg = (): pkijs.AlgorithmIdentifier => new pkijs.AlgorithmIdentifier({ algorithmId: ECDSA_SHA256 });
const time = (d: Date): pkijs.Time => new pkijs.Time({ type: 0, value: d });

export interface TestCa {
  readonly cert: X509Certificate;
  readonly name: pkijs.RelativeDistinguishedNames;
  readonly key: KeyObject;
}

export function makeTestCa(cn = 'sealflow test CRL issuer'): TestCa {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = new pkijs.RelativeDistinguishedNames({
    typesAndValues: [new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: cn }) })],
  });
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: 1 });
  cert.signature = alg();
  cert.signatureAlgorithm = alg();
  cert.issuer = name;
  cert.subject = name;
  cert.notBefore = time(new Date('2020-01-01T00:00:00Z'));
  cert.notAfter = time(new Date('2040-01-01T00:00:00Z'));
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(publicKey.export({ type: 'spki', format: 'der' }));
  cert.extensions = [new pkijs.Extension({ extnID: '2.5.29.19', critical: true, extnValue: new pkijs.BasicConstraints({ cA: true }).toSchema().toBER(false) })];
  cert.tbsView = new Uint8Array(cert.encodeTBS().toBER(false));
  cert.signatureValue = new asn1js.BitString({ valueHex: sign('sha256', cert.tbsView, privateKey) });
  return { cert: new X509Certificate(Buffer.from(cert.toSchema(false).toBER(false))), name, key: privateKey };
}

export interface CrlSpec {
  readonly issuer: pkijs.RelativeDistinguishedNames;
  readonly key: KeyObject;
  readonly revokedSerials: readonly Uint8Array[];
  readonly thisUpdate?: Date;
  readonly nextUpdate?: Date;
}

export function makeCrl(spec: CrlSpec): Uint8Array {
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1;
  crl.signature = alg();
  crl.signatureAlgorithm = alg();
  crl.issuer = spec.issuer;
  crl.thisUpdate = time(spec.thisUpdate ?? new Date('2020-01-01T00:00:00Z'));
  crl.nextUpdate = time(spec.nextUpdate ?? new Date('2040-01-01T00:00:00Z'));
  if (spec.revokedSerials.length > 0) {
    crl.revokedCertificates = spec.revokedSerials.map(
      (s) => new pkijs.RevokedCertificate({ userCertificate: new asn1js.Integer({ valueHex: s }), revocationDate: time(new Date('2021-01-01T00:00:00Z')) }),
    );
  }
  // toSchema(true) encodes the tbsCertList from the fields (encodeTBS is protected for CRLs).
  crl.tbsView = new Uint8Array((crl.toSchema(true) as asn1js.Sequence).valueBlock.value[0]!.toBER(false));
  crl.signatureValue = new asn1js.BitString({ valueHex: sign('sha256', crl.tbsView, spec.key) });
  return new Uint8Array(crl.toSchema(false).toBER(false));
}

/** The serial number bytes of a DER certificate (as encoded, sign byte included). */
export function serialOf(der: Uint8Array): Uint8Array {
  const c = pkijs.Certificate.fromBER(der);
  return c.serialNumber.valueBlock.valueHexView;
}

/**
 * A PCK CRL that names the quote's PCK CA as issuer and revokes its PCK, but is
 * signed by a key generated here: it must never be believed.
 */
export function forgedCrl(evidence: Uint8Array): Uint8Array {
  const [pck, ca] = pckChainDers(evidence);
  const issuer = pkijs.Certificate.fromBER(ca!).subject;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return makeCrl({ issuer, key: privateKey, revokedSerials: [serialOf(pck!)] });
}
