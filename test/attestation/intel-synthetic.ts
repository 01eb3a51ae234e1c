/**
 * A complete, SYNTHETIC Intel DCAP world for end-to-end tests that real data
 * cannot reach (an accepted TDX quote, revocation, FMSPC / identity
 * mismatches): a test root CA, PCK CA, PCK certificate with the SGX extension,
 * TCB Signing certificate, signed TCB info and QE identity, both CRLs, and a
 * quote whose QE report is signed by the PCK key. Keys from node:crypto. The
 * verifier accepts it only through the `intel-root-ca` override: nothing here
 * chains to the real Intel SGX Root CA. Layouts as in src/attestation/intel.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { derToPem } from '../../src/attestation/bytes.js';
import type { Collateral } from '../../src/attestation/verifier.js';
import { makeCrl } from './intel-test-pki.js';

const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const SGX_EXT = '1.2.840.113741.1.13.1';
const alg = (): pkijs.AlgorithmIdentifier => new pkijs.AlgorithmIdentifier({ algorithmId: ECDSA_SHA256 });
const time = (d: Date): pkijs.Time => new pkijs.Time({ type: 0, value: d });
const name = (cn: string): pkijs.RelativeDistinguishedNames =>
  new pkijs.RelativeDistinguishedNames({ typesAndValues: [new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: cn }) })] });

interface Party {
  readonly name: pkijs.RelativeDistinguishedNames;
  readonly key: KeyObject;
  readonly publicKey: KeyObject;
  readonly der: Uint8Array;
  readonly serial: Uint8Array;
}

let nextSerial = 0x1000;

function issue(cn: string, issuer: Party | undefined, opts: { ca: boolean; from: Date; to: Date; extensions?: pkijs.Extension[] }): Party {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const subject = name(cn);
  const serial = new Uint8Array([0x01, (nextSerial >> 8) & 0xff, nextSerial++ & 0xff]);
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: serial });
  cert.signature = alg();
  cert.signatureAlgorithm = alg();
  cert.issuer = issuer?.name ?? subject;
  cert.subject = subject;
  cert.notBefore = time(opts.from);
  cert.notAfter = time(opts.to);
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(publicKey.export({ type: 'spki', format: 'der' }));
  cert.extensions = [
    new pkijs.Extension({ extnID: '2.5.29.19', critical: true, extnValue: new pkijs.BasicConstraints({ cA: opts.ca }).toSchema().toBER(false) }),
    ...(opts.extensions ?? []),
  ];
  cert.tbsView = new Uint8Array(cert.encodeTBS().toBER(false));
  cert.signatureValue = new asn1js.BitString({ valueHex: sign('sha256', cert.tbsView, issuer?.key ?? privateKey) });
  return { name: subject, key: privateKey, publicKey, der: new Uint8Array(cert.toSchema(false).toBER(false)), serial };
}

export interface PlatformTcb {
  readonly components: readonly number[];
  readonly pceSvn: number;
  readonly fmspc: string;
  readonly pceId: string;
}

function sgxExtension(p: PlatformTcb): pkijs.Extension {
  const item = (oid: string, value: asn1js.AsnType): asn1js.Sequence => new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: oid }), value] });
  const octets = (hex: string): asn1js.OctetString => new asn1js.OctetString({ valueHex: Buffer.from(hex, 'hex') });
  const tcb = [
    ...p.components.map((svn, i) => item(`${SGX_EXT}.2.${i + 1}`, new asn1js.Integer({ value: svn }))),
    item(`${SGX_EXT}.2.17`, new asn1js.Integer({ value: p.pceSvn })),
    item(`${SGX_EXT}.2.18`, octets(Buffer.from(p.components).toString('hex'))),
  ];
  const value = new asn1js.Sequence({
    value: [
      item(`${SGX_EXT}.1`, octets('00'.repeat(16))),
      item(`${SGX_EXT}.2`, new asn1js.Sequence({ value: tcb })),
      item(`${SGX_EXT}.3`, octets(p.pceId)),
      item(`${SGX_EXT}.4`, octets(p.fmspc)),
      item(`${SGX_EXT}.5`, new asn1js.Enumerated({ value: 0 })),
    ],
  });
  return new pkijs.Extension({ extnID: SGX_EXT, critical: false, extnValue: value.toBER(false) });
}

const u16 = (n: number): Buffer => Buffer.from([n & 0xff, n >> 8]);
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

export const TD_QE_MRSIGNER = 'dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5';
export const SYNTHETIC_MRTD = 'a1'.repeat(48);
export const SYNTHETIC_REPORT_DATA = '5e'.repeat(64);

export interface SyntheticOptions {
  readonly platform?: Partial<PlatformTcb>;
  /** TEE_TCB_SVN of the TD report; default 03 00 05 (module version 0). */
  readonly teeTcbSvn?: readonly number[];
  readonly qeIsvSvn?: number;
  /** Overrides of the signed TCB info / QE identity objects. */
  readonly tcbInfo?: (info: Record<string, unknown>) => void;
  readonly qeIdentity?: (identity: Record<string, unknown>) => void;
  readonly revokePck?: boolean;
  readonly revokePckCa?: boolean;
  readonly revokeTcbSigning?: boolean;
}

export interface SyntheticSample {
  readonly evidence: Uint8Array;
  readonly collateral: Collateral;
  readonly now: Date;
}

const FROM = new Date('2024-01-01T00:00:00Z');
const TO = new Date('2034-01-01T00:00:00Z');
export const SYNTHETIC_NOW = new Date('2025-03-01T00:00:00Z');

/** A TDX quote v4 with full collateral, all under a freshly generated test root. */
export function syntheticTdx(opts: SyntheticOptions = {}): SyntheticSample {
  const given: PlatformTcb = { components: [5, 5, 2, 2, 3, 1, 0, 3], pceSvn: 11, fmspc: '50806f000000', pceId: '0000', ...opts.platform };
  const platform: PlatformTcb = { ...given, components: [...given.components, ...Array<number>(16 - given.components.length).fill(0)] };
  const root = issue('Synthetic SGX Root CA', undefined, { ca: true, from: FROM, to: TO });
  const pckCa = issue('Synthetic SGX PCK Platform CA', root, { ca: true, from: FROM, to: TO });
  const pck = issue('Synthetic SGX PCK Certificate', pckCa, { ca: false, from: FROM, to: new Date('2030-01-01T00:00:00Z'), extensions: [sgxExtension(platform)] });
  const tcbSigning = issue('Synthetic SGX TCB Signing', root, { ca: false, from: FROM, to: TO });

  // Quote: header (48) ‖ TD report body (584), signed by a generated attestation key.
  const att = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = att.publicKey.export({ format: 'jwk' });
  const attKey = Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const header = Buffer.concat([u16(4), u16(2), u32(0x81), Buffer.alloc(4), Buffer.from('939a7233f79c4ca9940a0db3957f0607', 'hex'), Buffer.alloc(20)]);
  const body = Buffer.alloc(584);
  Buffer.from(opts.teeTcbSvn ?? [3, 0, 5]).copy(body, 0);
  body.fill(0x11, 16, 64); // MRSEAM
  body.writeUInt8(0x10, 120 + 3); // TDATTRIBUTES: not debug
  Buffer.from(SYNTHETIC_MRTD, 'hex').copy(body, 136);
  for (let i = 0; i < 4; i++) body.fill(0x20 + i, 328 + 48 * i, 376 + 48 * i); // RTMR0..3
  Buffer.from(SYNTHETIC_REPORT_DATA, 'hex').copy(body, 520);
  const signed = Buffer.concat([header, body]);
  const quoteSig = sign('sha256', signed, { key: att.privateKey, dsaEncoding: 'ieee-p1363' });

  // QE report (SGX report body, 384): the TD QE identity, binding the attestation key.
  const authData = Buffer.from('synthetic QE authentication data');
  const qe = Buffer.alloc(384);
  qe.writeUInt8(0x11, 48); // ATTRIBUTES.FLAGS: INIT | PROVISIONKEY
  Buffer.from(TD_QE_MRSIGNER, 'hex').copy(qe, 128);
  qe.writeUInt16LE(2, 256); // ISVPRODID
  qe.writeUInt16LE(opts.qeIsvSvn ?? 4, 258);
  createHash('sha256').update(attKey).update(authData).digest().copy(qe, 320);
  const qeSig = sign('sha256', qe, { key: pck.key, dsaEncoding: 'ieee-p1363' });
  const pem = Buffer.from([pck, pckCa, root].map((p) => derToPem(p.der)).join(''), 'latin1');
  const inner = Buffer.concat([qe, qeSig, u16(authData.length), authData, u16(5), u32(pem.length), pem]);
  const sigData = Buffer.concat([quoteSig, attKey, u16(6), u32(inner.length), inner]);
  const evidence = new Uint8Array(Buffer.concat([signed, u32(sigData.length), sigData]));

  const tcbLevel = (status: string, comps: readonly number[], pceSvn: number, tdx: readonly number[]): Record<string, unknown> => ({
    tcb: { sgxtcbcomponents: comps.map((svn) => ({ svn })), pcesvn: pceSvn, tdxtcbcomponents: tdx.map((svn) => ({ svn })) },
    tcbDate: status === 'UpToDate' ? '2024-06-01T00:00:00Z' : '2023-01-01T00:00:00Z',
    tcbStatus: status,
    ...(status === 'UpToDate' ? {} : { advisoryIDs: ['INTEL-SA-00000'] }),
  });
  const pad = (a: number[]): number[] => [...a, ...Array<number>(16 - a.length).fill(0)];
  const info: Record<string, unknown> = {
    id: 'TDX', version: 3, issueDate: '2025-02-20T00:00:00Z', nextUpdate: '2025-03-20T00:00:00Z', fmspc: '50806f000000', pceId: '0000',
    tcbType: 0, tcbEvaluationDataNumber: 17,
    tdxModule: { mrsigner: '00'.repeat(48), attributes: '0000000000000000', attributesMask: 'FFFFFFFFFFFFFFFF' },
    tcbLevels: [tcbLevel('UpToDate', pad([5, 5, 2, 2, 3, 1, 0, 3]), 11, pad([3, 0, 5])), tcbLevel('OutOfDate', pad([2, 2, 2, 2, 2, 1, 0, 2]), 5, pad([2, 0, 2]))],
  };
  opts.tcbInfo?.(info);
  const identity: Record<string, unknown> = {
    id: 'TD_QE', version: 2, issueDate: '2025-02-20T00:00:00Z', nextUpdate: '2025-03-20T00:00:00Z', tcbEvaluationDataNumber: 17,
    miscselect: '00000000', miscselectMask: 'FFFFFFFF', attributes: '11000000000000000000000000000000', attributesMask: 'FBFFFFFFFFFFFFFF0000000000000000',
    mrsigner: TD_QE_MRSIGNER.toUpperCase(), isvprodid: 2,
    tcbLevels: [{ tcb: { isvsvn: 4 }, tcbDate: '2024-06-01T00:00:00Z', tcbStatus: 'UpToDate' }, { tcb: { isvsvn: 1 }, tcbDate: '2023-01-01T00:00:00Z', tcbStatus: 'OutOfDate', advisoryIDs: ['INTEL-SA-00001'] }],
  };
  opts.qeIdentity?.(identity);
  const response = (member: string, value: unknown): Uint8Array => {
    const text = JSON.stringify(value);
    const sig = sign('sha256', Buffer.from(text), { key: tcbSigning.key, dsaEncoding: 'ieee-p1363' }).toString('hex');
    return Buffer.from(`{"${member}":${text},"signature":"${sig}"}`);
  };
  const crlDates = { thisUpdate: new Date('2025-02-25T00:00:00Z'), nextUpdate: new Date('2025-03-25T00:00:00Z') };
  const chainPem = (...parties: Party[]): Uint8Array => Buffer.from(parties.map((p) => derToPem(p.der)).join(''), 'latin1');
  const collateral: Collateral = {
    'tcb-info': response('tcbInfo', info),
    'tcb-info-issuer-chain': chainPem(tcbSigning, root),
    'qe-identity': response('enclaveIdentity', identity),
    'qe-identity-issuer-chain': chainPem(tcbSigning, root),
    'pck-crl': makeCrl({ issuer: pckCa.name, key: pckCa.key, revokedSerials: opts.revokePck ? [new Uint8Array([0x7f]), pck.serial] : [new Uint8Array([0x7f])], ...crlDates }),
    'pck-crl-issuer-chain': chainPem(pckCa, root),
    'root-ca-crl': makeCrl({ issuer: root.name, key: root.key, revokedSerials: [...(opts.revokePckCa ? [pckCa.serial] : []), ...(opts.revokeTcbSigning ? [tcbSigning.serial] : [])], ...crlDates }),
    'intel-root-ca': chainPem(root),
  };
  return { evidence, collateral, now: SYNTHETIC_NOW };
}
