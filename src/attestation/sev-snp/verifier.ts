/**
 * SEV-SNP evidence verifier: a raw ATTESTATION_REPORT (report.ts) or the
 * configfs-tsm JSON carrying one plus its certificate table (tsm.ts).
 *
 * Checks, in the order of the reason codes: parse (malformed,
 * unsupported-version); the endorsement certificate is present
 * (collateral-missing); the report signature with the VCEK/VLEK
 * (bad-signature); the chain to the pinned ARK (chain-untrusted); validity at
 * `now` (cert-expired, cert-not-yet-valid); with collateral `amd-crl`, the
 * ARK's CRL (its signature, freshness, and the ASK not revoked: revoked,
 * collateral-expired); the certificate's TCB and hwID
 * against REPORTED_TCB and CHIP_ID (tcb-mismatch).
 */
import { verify } from 'node:crypto';
import { certificatesIn, equalBytes, hex } from '../bytes.js';
import { AttestationError, type Claims, type Collateral, type EvidenceVerifier, type SnpDetails, type VerifyOptions } from '../verifier.js';
import { checkValidity, parseCert, type ParsedCert } from '../x509.js';
import { checkAmdCrl } from './crl.js';
import { endorsementInfo, productOfEndorsement, verifyEndorsement, verifyRoots, type EndorsementInfo, type KeyKind } from './chain.js';
import { decodePlatformInfo, decodePolicy, decodeTcb, looksLikeSnpReport, parseReport, productFromCpuid, type Product, type SnpReport } from './report.js';
import { PINNED_ARK_SHA256, PRODUCTS, defaultChain } from './roots.js';
import { looksLikeTsmJson, parseTsmJson, type CertTable } from './tsm.js';

function signingKind(report: SnpReport): KeyKind {
  // ATTESTATION_REPORT 0x48 bits 4:2 SIGNING_KEY: 0 VCEK, 1 VLEK, 7 none.
  if (report.signingKey === 0) return 'vcek';
  if (report.signingKey === 1) return 'vlek';
  if (report.signingKey === 7) throw new AttestationError('bad-signature', 'the SEV-SNP report is not signed (SIGNING_KEY = 7, none)');
  throw new AttestationError('malformed', `the SEV-SNP report names a reserved signing key (${report.signingKey})`);
}

function endorsementCert(kind: KeyKind, collateral: Collateral, table: CertTable | undefined): ParsedCert {
  const given = collateral.vcek;
  if (given !== undefined) {
    const ders = certificatesIn(given);
    if (ders.length !== 1) throw new AttestationError('malformed', 'collateral "vcek" must hold one certificate (DER or PEM)');
    return parseCert(ders[0] as Uint8Array, 'the VCEK/VLEK certificate');
  }
  const fromTable = table?.certs[kind];
  if (fromTable) return parseCert(fromTable, `the ${kind.toUpperCase()} in the certificate table`);
  throw new AttestationError('collateral-missing', `the report is signed with a ${kind.toUpperCase()}, but no ${kind.toUpperCase()} certificate was given (pass --vcek, or fetch it from AMD KDS)`);
}

function checkSignature(report: SnpReport, cert: ParsedCert): void {
  const key = cert.publicKey;
  if (report.signatureP1363 === null) throw new AttestationError('bad-signature', 'the report signature R/S fields do not hold P-384 values');
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'secp384r1') {
    throw new AttestationError('bad-signature', 'the endorsement certificate does not hold an ECDSA P-384 key');
  }
  // ATTESTATION_REPORT SIGNATURE (0x2A0) covers bytes 0x000..0x29F; ECDSA P-384 with SHA-384.
  if (!verify('sha384', report.signed, { key, dsaEncoding: 'ieee-p1363' }, report.signatureP1363)) {
    throw new AttestationError('bad-signature', 'the SEV-SNP report signature does not verify with the VCEK/VLEK');
  }
}

function productOf(report: SnpReport, cert: ParsedCert, info: EndorsementInfo): Product {
  const fromCpuid = productFromCpuid(report.cpuid);
  const fromCert = productOfEndorsement(cert, info);
  if (fromCpuid && fromCert && fromCpuid !== fromCert) {
    throw new AttestationError('chain-untrusted', `the report is from ${fromCpuid} (CPUID) but the certificate is for ${fromCert}`);
  }
  const product = PRODUCTS.find((p) => p === (fromCpuid ?? fromCert));
  if (!product) throw new AttestationError('chain-untrusted', `unknown AMD product "${fromCpuid ?? fromCert ?? '?'}" (known: ${PRODUCTS.join(', ')})`);
  return product;
}

/** Trust anchors: the pinned AMD ARKs and the embedded default chains, unless a test replaces them. */
export interface SnpTrust {
  readonly pins: Readonly<Record<Product, string>>;
  readonly defaultChain: (product: Product, kind: KeyKind) => Uint8Array[];
}

const AMD_TRUST: SnpTrust = { pins: PINNED_ARK_SHA256, defaultChain };

function rootsFor(product: Product, kind: KeyKind, collateral: Collateral, table: CertTable | undefined, trust: SnpTrust) {
  const given = collateral['ask-ark'];
  if (given !== undefined) return verifyRoots(certificatesIn(given), product, kind, 'collateral "ask-ark"', trust.pins);
  const ask = table?.certs.ask;
  const ark = table?.certs.ark;
  if (ask && ark) return verifyRoots([ask, ark], product, kind, 'the certificate table', trust.pins);
  return verifyRoots(trust.defaultChain(product, kind), product, kind, `the embedded AMD ${product} chain`, trust.pins);
}

export function checkTcb(report: SnpReport, product: Product, kind: KeyKind, info: EndorsementInfo): void {
  const reported = decodeTcb(report.reportedTcb, product);
  const fields = ['bootloader', 'tee', 'snp', 'microcode', ...(product === 'Turin' ? (['fmc'] as const) : [])] as const;
  for (const f of fields) {
    if (info.tcb[f] !== reported[f]) {
      throw new AttestationError('tcb-mismatch', `the ${kind.toUpperCase()} is for ${f} SPL ${info.tcb[f] ?? 'missing'}, but the report's REPORTED_TCB has ${reported[f] ?? '?'}`);
    }
  }
  if (kind !== 'vcek' || report.maskChipKey) return; // VLEKs carry no hwID; MASK_CHIP_KEY zeroes CHIP_ID.
  const hw = info.hwId;
  // Turin VCEKs are keyed by the first 8 bytes of CHIP_ID (KDS uses only those for Turin).
  const ok = hw !== undefined && (equalBytes(hw, report.chipId) || (product === 'Turin' && hw.length === 8 && equalBytes(hw, report.chipId.subarray(0, 8))));
  if (!ok) throw new AttestationError('tcb-mismatch', "the VCEK's hwID does not equal the report's CHIP_ID: it is another chip's certificate");
}

function details(report: SnpReport, product: Product, kind: KeyKind, cert: ParsedCert, arkFingerprint: string): SnpDetails {
  return {
    version: report.version,
    product,
    signingKey: kind,
    guestSvn: report.guestSvn,
    policy: decodePolicy(report.policy),
    vmpl: report.vmpl,
    hostData: hex(report.hostData),
    familyId: hex(report.familyId),
    imageId: hex(report.imageId),
    idKeyDigest: hex(report.idKeyDigest),
    authorKeyDigest: hex(report.authorKeyDigest),
    authorKeyEn: report.authorKeyEn,
    maskChipKey: report.maskChipKey,
    reportId: hex(report.reportId),
    reportIdMa: hex(report.reportIdMa),
    chipId: hex(report.chipId),
    platformInfo: decodePlatformInfo(report.platformInfo),
    currentTcb: decodeTcb(report.currentTcb, product),
    reportedTcb: decodeTcb(report.reportedTcb, product),
    committedTcb: decodeTcb(report.committedTcb, product),
    launchTcb: decodeTcb(report.launchTcb, product),
    firmware: { current: report.currentVersion, committed: report.committedVersion },
    ...(report.cpuid ? { cpuid: { ...report.cpuid } } : {}),
    ...(report.launchMitVector !== undefined ? { mitigationVectors: { launch: report.launchMitVector, current: report.currentMitVector } } : {}),
    endorsement: { subject: cert.subjectCN, sha256: cert.fingerprint, notAfter: cert.notAfter.toISOString() },
    arkSha256: arkFingerprint,
  };
}

async function verifySnp(evidence: Uint8Array, collateral: Collateral, opts: VerifyOptions, trust: SnpTrust): Promise<Claims> {
  // A report is binary and starts with its version; configfs-tsm evidence is a JSON object.
  const tsm = Buffer.from(evidence.subarray(0, 16)).toString('latin1').trimStart().startsWith('{') ? parseTsmJson(evidence) : undefined;
  const report = parseReport(tsm ? tsm.report : evidence);
  const kind = signingKind(report);
  const cert = endorsementCert(kind, collateral, tsm?.certTable);
  checkSignature(report, cert);
  const info = endorsementInfo(cert);
  const product = productOf(report, cert, info);
  const chain = rootsFor(product, kind, collateral, tsm?.certTable, trust);
  verifyEndorsement(cert, chain, kind);
  checkValidity([{ name: kind.toUpperCase(), cert }, { name: kind === 'vcek' ? 'ASK' : 'ASVK', cert: chain.ask }, { name: 'ARK', cert: chain.ark }], opts.now);
  const crl = collateral['amd-crl'];
  if (crl !== undefined) checkAmdCrl(crl, chain.ark, chain.ask, opts.now);
  checkTcb(report, product, kind, info);
  const policy = decodePolicy(report.policy);
  return {
    platform: 'sev-snp',
    measurement: hex(report.measurement),
    reportData: hex(report.reportData),
    debug: policy.debug,
    tcbStatus: 'NotApplicable',
    details: details(report, product, kind, cert, chain.ark.fingerprint),
  };
}

/**
 * An SEV-SNP verifier. `trust` replaces AMD's pinned roots: for tests that
 * build their own PKI only — production code uses `snpVerifier`.
 */
export function createSnpVerifier(trust: SnpTrust = AMD_TRUST): EvidenceVerifier {
  return {
    platform: 'sev-snp',
    sniff: (b) => looksLikeSnpReport(b) || looksLikeTsmJson(b),
    verify: async (evidence, collateral, opts) => verifySnp(evidence, collateral, opts, trust),
  };
}

/** The SEV-SNP verifier, trusting only AMD's pinned ARKs. */
export const snpVerifier: EvidenceVerifier = createSnpVerifier();
