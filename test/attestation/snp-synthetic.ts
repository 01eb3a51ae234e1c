/**
 * A throw-away SEV-SNP world for the paths no real sample covers (VLEK, Turin,
 * report v5, MASK_CHIP_KEY, TCB and hwID mismatches): an "ARK", an ASK or
 * ASVK and a VCEK or VLEK with AMD's extensions, built with pkijs from keys of
 * node:crypto, and reports laid out per the SNP ABI and signed with the
 * endorsement key. ARK/ASK keys are ECDSA P-384 by default (fast) or
 * RSASSA-PSS SHA-384 as AMD's (`rsaPss: true`). Trusted only by `createSnpVerifier({ pins, defaultChain })` in tests.
 */
import { constants, createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { Product } from '../../src/attestation/sev-snp/index.js';
import { AMD_OID } from '../../src/attestation/sev-snp/chain.js';
import { PINNED_ARK_SHA256 } from '../../src/attestation/sev-snp/roots.js';
import type { SnpTrust } from '../../src/attestation/sev-snp/verifier.js';

const ECDSA_SHA384 = '1.2.840.10045.4.3.3';
const RSA_PSS = '1.2.840.113549.1.1.10';
const SHA384 = '2.16.840.1.101.3.4.2.2';
const MGF1 = '1.2.840.113549.1.1.8';

/** The signature AlgorithmIdentifier for a signing key: ECDSA-SHA384, or RSASSA-PSS SHA-384 / MGF1-SHA-384 / salt 48 as AMD uses. */
function algFor(signer: KeyObject): pkijs.AlgorithmIdentifier {
  if (signer.asymmetricKeyType !== 'rsa-pss' && signer.asymmetricKeyType !== 'rsa') return new pkijs.AlgorithmIdentifier({ algorithmId: ECDSA_SHA384 });
  const sha384 = () => new pkijs.AlgorithmIdentifier({ algorithmId: SHA384, algorithmParams: new asn1js.Null() });
  const params = new pkijs.RSASSAPSSParams({ hashAlgorithm: sha384(), maskGenAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: MGF1, algorithmParams: sha384().toSchema() }), saltLength: 48 });
  return new pkijs.AlgorithmIdentifier({ algorithmId: RSA_PSS, algorithmParams: params.toSchema() });
}

function signWith(signer: KeyObject, data: Uint8Array): Uint8Array {
  if (signer.asymmetricKeyType === 'rsa-pss' || signer.asymmetricKeyType === 'rsa') {
    return sign('sha384', data, { key: signer, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 });
  }
  return sign('sha384', data, signer);
}
const time = (d: Date) => new pkijs.Time({ type: 0, value: d });
const key = () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
const rsaKey = () => generateKeyPairSync('rsa-pss', { modulusLength: 2048 });

function name(cn: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: cn }) })],
  });
}

function ext(oid: string, value: ArrayBuffer | Uint8Array): pkijs.Extension {
  const bytes = value instanceof Uint8Array ? value : new Uint8Array(value);
  return new pkijs.Extension({ extnID: oid, critical: false, extnValue: bytes.slice().buffer });
}

function certificate(subject: string, issuer: string, subjectKey: KeyObject, issuerKey: KeyObject, extensions: pkijs.Extension[], serial: number): Uint8Array {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: serial });
  cert.signature = algFor(issuerKey);
  cert.signatureAlgorithm = algFor(issuerKey);
  cert.issuer = name(issuer);
  cert.subject = name(subject);
  cert.notBefore = time(new Date('2024-01-01T00:00:00Z'));
  cert.notAfter = time(new Date('2031-01-01T00:00:00Z'));
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(subjectKey.export({ type: 'spki', format: 'der' }));
  if (extensions.length > 0) cert.extensions = extensions;
  cert.tbsView = new Uint8Array(cert.encodeTBS().toBER(false));
  cert.signatureValue = new asn1js.BitString({ valueHex: signWith(issuerKey, cert.tbsView) });
  return new Uint8Array(cert.toSchema(false).toBER(false));
}

export interface Spl {
  readonly bootloader: number;
  readonly tee: number;
  readonly snp: number;
  readonly microcode: number;
  readonly fmc?: number;
}

export interface WorldSpec {
  readonly product: Product;
  readonly kind: 'vcek' | 'vlek';
  /** The TCB the certificate states (default: the report's). */
  readonly certTcb?: Spl;
  /** hwID extension bytes (default: the chip id, 8 bytes of it for Turin); null = none. */
  readonly hwId?: Uint8Array | null;
  /** ARK and ASK with RSASSA-PSS keys and signatures, as AMD's (default ECDSA P-384, faster). */
  readonly rsaPss?: boolean;
}

export interface World {
  readonly trust: SnpTrust;
  readonly ark: Uint8Array;
  readonly ask: Uint8Array;
  readonly endorsement: Uint8Array;
  readonly endorsementKey: KeyObject;
  readonly arkKey: KeyObject;
  readonly product: Product;
  readonly chipId: Uint8Array;
}

export const CHIP_ID = new Uint8Array(64).map((_, i) => (i * 7 + 3) & 0xff);
export const TCB: Spl = { bootloader: 9, tee: 1, snp: 24, microcode: 219, fmc: 2 };

const INT = (n: number) => new asn1js.Integer({ value: n }).toBER(false);

export function makeWorld(spec: WorldSpec): World {
  const arkKey = spec.rsaPss ? rsaKey() : key();
  const askKey = spec.rsaPss ? rsaKey() : key();
  const eKey = key();
  const p = spec.product;
  const ark = certificate(`ARK-${p}`, `ARK-${p}`, arkKey.publicKey, arkKey.privateKey, [], 1);
  const askCn = spec.kind === 'vcek' ? `SEV-${p}` : `SEV-VLEK-${p}`;
  const ask = certificate(askCn, `ARK-${p}`, askKey.publicKey, arkKey.privateKey, [], 2);
  const t = spec.certTcb ?? TCB;
  const hw = spec.hwId === undefined ? (p === 'Turin' ? CHIP_ID.slice(0, 8) : CHIP_ID) : spec.hwId;
  const exts = [
    ext(AMD_OID.structVersion, INT(1)),
    ext(AMD_OID.productName, new asn1js.IA5String({ value: `${p}-B0` }).toBER(false)),
    ext(AMD_OID.blSPL, INT(t.bootloader)),
    ext(AMD_OID.teeSPL, INT(t.tee)),
    ext(AMD_OID.snpSPL, INT(t.snp)),
    ext(AMD_OID.ucodeSPL, INT(t.microcode)),
    ...(p === 'Turin' ? [ext(AMD_OID.fmcSPL, INT(t.fmc ?? 0))] : []),
    ...(hw ? [ext(AMD_OID.hwID, hw)] : []),
  ];
  const endorsement = certificate(spec.kind === 'vcek' ? 'SEV-VCEK' : 'SEV-VLEK', askCn, eKey.publicKey, askKey.privateKey, exts, 3);
  const pin = createHash('sha256').update(ark).digest('hex');
  return {
    trust: { pins: { ...PINNED_ARK_SHA256, [p]: pin }, defaultChain: (prod) => (prod === p ? [ask, ark] : []) },
    ark,
    ask,
    endorsement,
    endorsementKey: eKey.privateKey,
    arkKey: arkKey.privateKey,
    product: p,
    chipId: CHIP_ID,
  };
}

export interface ReportSpec {
  readonly version: 2 | 3 | 5;
  readonly product: Product;
  readonly kind: 'vcek' | 'vlek';
  readonly tcb?: Spl;
  readonly maskChipKey?: boolean;
  readonly policy?: bigint;
  readonly vmpl?: number;
  readonly measurement?: number;
}

/** TCB_VERSION bytes for a product (SNP ABI "TCB_VERSION Structure"). */
export function tcbBytes(t: Spl, product: Product): Uint8Array {
  return product === 'Turin'
    ? Uint8Array.from([t.fmc ?? 0, t.bootloader, t.tee, t.snp, 0, 0, 0, t.microcode])
    : Uint8Array.from([t.bootloader, t.tee, 0, 0, 0, 0, t.snp, t.microcode]);
}

const CPUID: Record<Product, [number, number]> = { Milan: [0x19, 0x01], Genoa: [0x19, 0x11], Turin: [0x1a, 0x02] };

/** A report laid out per the ATTESTATION_REPORT table and signed with `world`'s endorsement key. */
export function makeReport(world: World, spec: ReportSpec): Uint8Array {
  const b = Buffer.alloc(0x4a0);
  b.writeUInt32LE(spec.version, 0x00);
  b.writeBigUInt64LE(spec.policy ?? 0x30000n, 0x08);
  b.writeUInt32LE(spec.vmpl ?? 0, 0x30);
  b.writeUInt32LE(1, 0x34); // ECDSA P-384 with SHA-384
  const tcb = tcbBytes(spec.tcb ?? TCB, spec.product);
  for (const off of [0x38, 0x180, 0x1e0, 0x1f0]) b.set(tcb, off);
  b.writeBigUInt64LE(1n, 0x40); // SMT_EN
  b.writeUInt32LE(((spec.kind === 'vlek' ? 1 : 0) << 2) | (spec.maskChipKey ? 2 : 0), 0x48);
  b.fill(0x5d, 0x50, 0x90); // REPORT_DATA
  b.fill(spec.measurement ?? 0x4d, 0x90, 0xc0);
  if (spec.version >= 3) {
    const [fam, mod] = CPUID[spec.product];
    b[0x188] = fam;
    b[0x189] = mod;
  }
  if (!spec.maskChipKey) b.set(world.chipId, 0x1a0);
  if (spec.version >= 5) b.writeBigUInt64LE(0x5n, 0x1f8);
  const sig = sign('sha384', b.subarray(0, 0x2a0), { key: world.endorsementKey, dsaEncoding: 'ieee-p1363' });
  b.set(Uint8Array.from(sig.subarray(0, 48)).reverse(), 0x2a0);
  b.set(Uint8Array.from(sig.subarray(48, 96)).reverse(), 0x2e8);
  return new Uint8Array(b);
}

export interface CrlSpec {
  /** Serial numbers to revoke (the synthetic ASK/ASVK has serial 2). */
  readonly revoked: readonly number[];
  readonly thisUpdate?: Date;
  readonly nextUpdate?: Date;
  /** Sign with this key instead of the ARK's. */
  readonly signer?: KeyObject;
}

/** An X.509 CRL issued by `world`'s ARK (ECDSA P-384 / SHA-384). */
export function makeAmdCrl(world: World, spec: CrlSpec): Uint8Array {
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1;
  crl.signature = algFor(spec.signer ?? world.arkKey);
  crl.signatureAlgorithm = algFor(spec.signer ?? world.arkKey);
  crl.issuer = name(`ARK-${world.product}`);
  crl.thisUpdate = time(spec.thisUpdate ?? new Date('2025-01-01T00:00:00Z'));
  crl.nextUpdate = time(spec.nextUpdate ?? new Date('2030-01-01T00:00:00Z'));
  if (spec.revoked.length > 0) {
    crl.revokedCertificates = spec.revoked.map((n) => new pkijs.RevokedCertificate({ userCertificate: new asn1js.Integer({ value: n }), revocationDate: time(new Date('2025-01-01T00:00:00Z')) }));
  }
  const tbs = (crl.toSchema(true) as asn1js.Sequence).valueBlock.value[0];
  if (!tbs) throw new Error('no tbsCertList');
  crl.tbsView = new Uint8Array(tbs.toBER(false));
  crl.signatureValue = new asn1js.BitString({ valueHex: signWith(spec.signer ?? world.arkKey, crl.tbsView) });
  return new Uint8Array(crl.toSchema(false).toBER(false));
}
