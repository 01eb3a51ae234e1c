/**
 * Issuing X.509 certificates (pkijs on node's webcrypto), ECDSA P-256 with
 * SHA-256 only. Used by the run CA (run-ca.ts): the run CA certificate itself
 * (signed by the master signing key), the master's TLS certificate and the
 * workers' client certificates.
 */
import { randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import type * as Asn1js from 'asn1js';
import type * as Pkijs from 'pkijs';

const crypto = webcrypto;

/**
 * pkijs and asn1js (~0.7 MB of code) load with the first certificate issued, not with every module that
 * reaches this one: `sealflow run --help` and a run's validation never issue one.
 */
let pkijs: typeof Pkijs;
let asn1js: typeof Asn1js;
let loaded: Promise<void> | undefined;
function load(): Promise<void> {
  return (loaded ??= Promise.all([import('pkijs'), import('asn1js')]).then(([p, a]) => {
    pkijs = p;
    asn1js = a;
    pkijs.setEngine('node-webcrypto', new pkijs.CryptoEngine({ name: 'node-webcrypto', crypto: crypto as unknown as ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'] }));
  }));
}

const OID = {
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

export interface IssueRequest {
  readonly subjectCN: string;
  readonly issuerCN: string;
  /** The subject's public key, SPKI DER (ECDSA P-256). */
  readonly subjectSpki: Uint8Array;
  /** The issuer's ECDSA P-256 private key. */
  readonly issuerKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** A CA certificate (basicConstraints cA, pathLen 0; keyCertSign). */
  readonly ca?: boolean;
  /** extKeyUsage: serverAuth, clientAuth, or both (`peer`: a worker's certificate, client of the master and server of its data port). */
  readonly usage?: 'server' | 'client' | 'peer';
  /** DNS names for subjectAltName (server certificates). */
  readonly dnsNames?: readonly string[];
}

function name(cn: string): Pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [new pkijs.AttributeTypeAndValue({ type: OID.commonName, value: new asn1js.Utf8String({ value: cn }) })],
  });
}

function ext(extnID: string, critical: boolean, value: Asn1js.BaseBlock): Pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

function buf(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

async function signingKey(key: KeyObject): Promise<webcrypto.CryptoKey> {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TypeError('certificates are signed with an ECDSA P-256 private key');
  }
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  return crypto.subtle.importKey('pkcs8', buf(pkcs8), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
}

/** Issues a certificate; returns its DER. */
export async function issueCertificate(req: IssueRequest): Promise<Uint8Array> {
  await load();
  const cert = new pkijs.Certificate();
  cert.version = 2;
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive, non-zero, 16 bytes
  cert.serialNumber = new asn1js.Integer({ valueHex: buf(serial) });
  cert.issuer = name(req.issuerCN);
  cert.subject = name(req.subjectCN);
  cert.notBefore = new pkijs.Time({ type: 0, value: req.notBefore });
  cert.notAfter = new pkijs.Time({ type: 0, value: req.notAfter });
  const spki = asn1js.fromBER(buf(req.subjectSpki));
  if (spki.offset === -1) throw new TypeError('subject public key is not SPKI DER');
  cert.subjectPublicKeyInfo = new pkijs.PublicKeyInfo({ schema: spki.result });
  const extensions: Pkijs.Extension[] = [];
  if (req.ca === true) {
    extensions.push(ext(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: true, pathLenConstraint: 0 }).toSchema()));
    // keyCertSign (bit 5) + cRLSign (bit 6)
    extensions.push(ext(OID.keyUsage, true, new asn1js.BitString({ valueHex: buf(new Uint8Array([0x06])), unusedBits: 1 })));
  } else {
    extensions.push(ext(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: false }).toSchema()));
    // digitalSignature (bit 0)
    extensions.push(ext(OID.keyUsage, true, new asn1js.BitString({ valueHex: buf(new Uint8Array([0x80])), unusedBits: 7 })));
  }
  if (req.usage !== undefined) {
    const purposes = req.usage === 'server' ? [OID.serverAuth] : req.usage === 'client' ? [OID.clientAuth] : [OID.clientAuth, OID.serverAuth];
    extensions.push(ext(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: purposes }).toSchema()));
  }
  if (req.dnsNames && req.dnsNames.length > 0) {
    const names = new pkijs.GeneralNames({ names: req.dnsNames.map((d) => new pkijs.GeneralName({ type: 2, value: d })) });
    extensions.push(ext(OID.subjectAltName, false, names.toSchema()));
  }
  cert.extensions = extensions;
  await cert.sign((await signingKey(req.issuerKey)) as unknown as Parameters<Pkijs.Certificate['sign']>[0], 'SHA-256');
  return new Uint8Array(cert.toSchema(true).toBER(false));
}

export function derToPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}
