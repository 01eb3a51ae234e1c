/**
 * The SEV-SNP certificate chain: ARK (self-signed, pinned) → ASK (for VCEK)
 * or ASVK (for VLEK) → VCEK/VLEK, all RSA-PSS SHA-384 except the ECDSA P-384
 * endorsement key itself (AMD pub. 57230 "Versioned Chip Endorsement Key
 * (VCEK) Certificate and KDS Interface Specification" §2; pub. 58369 for
 * VLEK). Also the VCEK's AMD extensions (57230, "VCEK Certificate Extensions"):
 * 1.3.6.1.4.1.3704.1.1 structVersion, .1.2 productName (IA5String, e.g.
 * "Milan-B0"), .1.3.1 blSPL, .1.3.2 teeSPL, .1.3.3 snpSPL, .1.3.8 ucodeSPL,
 * .1.3.9 fmcSPL (Turin) — INTEGERs — and .1.4 hwID (64 raw bytes, the
 * CHIP_ID; absent from VLEKs, which carry .1.5 cspId).
 */
import { AttestationError } from '../verifier.js';
import { derSmallInteger, derString, issuedBy, parseCert, type ParsedCert } from '../x509.js';
import type { Product } from './report.js';
import { PINNED_ARK_SHA256, productOfArk } from './roots.js';

export type KeyKind = 'vcek' | 'vlek';

export const AMD_OID = {
  structVersion: '1.3.6.1.4.1.3704.1.1',
  productName: '1.3.6.1.4.1.3704.1.2',
  blSPL: '1.3.6.1.4.1.3704.1.3.1',
  teeSPL: '1.3.6.1.4.1.3704.1.3.2',
  snpSPL: '1.3.6.1.4.1.3704.1.3.3',
  ucodeSPL: '1.3.6.1.4.1.3704.1.3.8',
  fmcSPL: '1.3.6.1.4.1.3704.1.3.9',
  hwID: '1.3.6.1.4.1.3704.1.4',
  cspID: '1.3.6.1.4.1.3704.1.5',
} as const;

export interface EndorsementTcb {
  readonly bootloader?: number;
  readonly tee?: number;
  readonly snp?: number;
  readonly microcode?: number;
  readonly fmc?: number;
}

export interface EndorsementInfo {
  readonly productName?: string;
  readonly tcb: EndorsementTcb;
  readonly hwId?: Uint8Array;
  readonly cspId?: string;
}

export function endorsementInfo(cert: ParsedCert): EndorsementInfo {
  const e = cert.extensions;
  const int = (oid: string) => derSmallInteger(e.get(oid));
  const productName = derString(e.get(AMD_OID.productName));
  const cspId = derString(e.get(AMD_OID.cspID));
  const hwId = e.get(AMD_OID.hwID);
  const tcb: Record<string, number> = {};
  for (const [k, oid] of [['bootloader', AMD_OID.blSPL], ['tee', AMD_OID.teeSPL], ['snp', AMD_OID.snpSPL], ['microcode', AMD_OID.ucodeSPL], ['fmc', AMD_OID.fmcSPL]] as const) {
    const v = int(oid);
    if (v !== undefined) tcb[k] = v;
  }
  return { tcb, ...(productName !== undefined ? { productName } : {}), ...(hwId ? { hwId } : {}), ...(cspId !== undefined ? { cspId } : {}) };
}

/** The product an endorsement certificate names: productName "Milan-B0", else issuer CN "SEV-Milan" / "SEV-VLEK-Milan". */
export function productOfEndorsement(cert: ParsedCert, info: EndorsementInfo): string | undefined {
  if (info.productName) return info.productName.split('-')[0];
  const cn = /(?:^|\n)CN=SEV-(?:VLEK-)?([A-Za-z]+)(?:\n|$)/.exec(cert.issuer);
  return cn?.[1];
}

export interface VerifiedChain {
  readonly ark: ParsedCert;
  readonly ask: ParsedCert;
}

const verifiedPairs = new Set<string>();

/** Forget verified links (benchmarks measure the cold path with it). */
export function clearChainCache(): void {
  verifiedPairs.clear();
}

/**
 * Check the ASK/ASVK + ARK pair for `product`: the ARK is the pinned one and
 * self-signed, the ASK is signed by it and named for the key kind. Throws
 * `chain-untrusted`. Successful checks are remembered (they do not depend on time).
 */
export function verifyRoots(
  ders: readonly Uint8Array[],
  product: Product,
  kind: KeyKind,
  source: string,
  pins: Readonly<Record<Product, string>> = PINNED_ARK_SHA256,
): VerifiedChain {
  const certs = ders.map((d, i) => parseCert(d, `${source} certificate #${i + 1}`));
  const arks = certs.filter((c) => c.subject === c.issuer);
  const asks = certs.filter((c) => c.subject !== c.issuer);
  if (arks.length !== 1 || asks.length !== 1) {
    throw new AttestationError('chain-untrusted', `${source} must hold exactly one ASK and one ARK (found ${asks.length} and ${arks.length})`);
  }
  const ark = arks[0] as ParsedCert;
  const ask = asks[0] as ParsedCert;
  // The pin is checked before the cache, so a chain remembered under other pins (tests) is never trusted here.
  if (ark.fingerprint !== pins[product]) {
    const other = productOfArk(ark.fingerprint);
    throw new AttestationError('chain-untrusted', other ? `${source}: the ARK is AMD's ${other} root, but the report is from ${product}` : `${source}: the ARK is not AMD's pinned ${product} root (SHA-256 ${ark.fingerprint})`);
  }
  const key = `${ask.fingerprint}:${ark.fingerprint}:${product}:${kind}`;
  if (verifiedPairs.has(key)) return { ark, ask };
  if (!issuedBy(ark, ark)) throw new AttestationError('chain-untrusted', `${source}: the ARK's self-signature does not verify`);
  const askName = kind === 'vcek' ? `SEV-${product}` : `SEV-VLEK-${product}`;
  if (ask.subjectCN !== askName) throw new AttestationError('chain-untrusted', `${source}: expected the ${kind === 'vcek' ? 'ASK' : 'ASVK'} "${askName}", found "${ask.subjectCN}"`);
  if (!issuedBy(ask, ark)) throw new AttestationError('chain-untrusted', `${source}: the ${kind === 'vcek' ? 'ASK' : 'ASVK'} is not signed by the ARK`);
  if (verifiedPairs.size > 64) verifiedPairs.clear();
  verifiedPairs.add(key);
  return { ark, ask };
}

/** The VCEK/VLEK is signed by the ASK/ASVK and named for its kind. Throws `chain-untrusted`. */
export function verifyEndorsement(cert: ParsedCert, chain: VerifiedChain, kind: KeyKind): void {
  const name = kind === 'vcek' ? 'SEV-VCEK' : 'SEV-VLEK';
  if (cert.subjectCN !== name) throw new AttestationError('chain-untrusted', `the report is signed with a ${kind.toUpperCase()}, but the certificate given is "${cert.subjectCN}"`);
  const key = `${cert.fingerprint}:${chain.ask.fingerprint}`;
  if (verifiedPairs.has(key)) return;
  if (!issuedBy(cert, chain.ask)) throw new AttestationError('chain-untrusted', `the ${kind.toUpperCase()} certificate is not signed by ${chain.ask.subjectCN}`);
  verifiedPairs.add(key);
}
