/**
 * Verification of an Intel DCAP quote (SGX or TDX) with its collateral, in
 * the order of REASON_CODES: every check of one class runs before any check of
 * the next, so the first reason in that order that applies is the one thrown.
 *
 *   malformed / unsupported-version  quote, PCK chain, collateral parse
 *   bad-signature      quote signature; QE report signature and binding;
 *                      TCB info and QE identity signatures; CRL signatures
 *   chain-untrusted    PCK, TCB-signing, QE-identity and CRL issuer chains to
 *                      the pinned Intel SGX Root CA
 *   cert-expired / cert-not-yet-valid   every certificate of those chains
 *   revoked            PCK in the PCK CRL; CAs and signing certs in the root CA CRL
 *   collateral-missing TCB info, QE identity, their chains, both CRLs
 *   collateral-expired nextUpdate (and issue date) of TCB info, QE identity, CRLs
 *   tcb-mismatch       TCB info / QE identity kind, FMSPC and PCE-ID, QE and
 *                      TDX module identities, TCB level found
 * The PCK CRL is checked with the PCK's issuing CA from the quote's own chain
 * (the `pck-crl-issuer-chain`, when given, is verified too but not required).
 */
import type { X509Certificate } from 'node:crypto';
import type { Collateral } from '../verifier.js';
import { fail } from './reader.js';
import { checkValidity, parseChain, trustAnchor, verifyChainToAnchor } from './certs.js';
import { checkCrlFreshness, checkNotRevoked, crlIssuedBy, verifyCrlSignature, type Crl } from './crl.js';
import { parseIntelCollateral, type IntelCollateral } from './collateral-set.js';
import { parsePckExtensions, type PckExtensions } from './pck-extensions.js';
import { parseQuote, type Quote } from './quote.js';
import { evaluateTcb, type TcbEvaluation } from './tcb.js';
import { verifyPckChain, verifyQeReport, verifyQuoteSignature, verifySignedJson } from './steps.js';

export interface VerifiedQuote {
  readonly quote: Quote;
  readonly pck: PckExtensions;
  readonly tcb: TcbEvaluation;
  /** The oldest issueDate / thisUpdate among TCB info, QE identity and the CRLs (the policy's collateral age). */
  readonly collateralIssueDate: Date;
}

interface Paths {
  pck: X509Certificate[];
  tcbInfo?: X509Certificate[];
  qeIdentity?: X509Certificate[];
  pckCrl?: X509Certificate[];
}

function checkSignatures(q: Quote, pckChain: X509Certificate[], anchor: X509Certificate, col: IntelCollateral): void {
  verifyQuoteSignature(q);
  verifyQeReport(q, pckChain[0]!);
  if (col.tcbInfo?.doc.signature && col.tcbInfoChain) verifySignedJson(col.tcbInfo.doc, col.tcbInfoChain[0]!, 'collateral tcb-info');
  if (col.qeIdentity?.doc.signature && col.qeIdentityChain) verifySignedJson(col.qeIdentity.doc, col.qeIdentityChain[0]!, 'collateral qe-identity');
  const pckCa = pckChain[1];
  if (col.pckCrl && pckCa && crlIssuedBy(col.pckCrl, pckCa)) verifyCrlSignature(col.pckCrl, pckCa);
  if (col.rootCrl && crlIssuedBy(col.rootCrl, anchor)) verifyCrlSignature(col.rootCrl, anchor);
}

/** Intel PCS: TCB info and QE identity are signed by the Intel SGX TCB Signing certificate, an end-entity issued by the root. */
function signingPath(chain: X509Certificate[], anchor: X509Certificate, what: string): X509Certificate[] {
  const path = verifyChainToAnchor(chain, anchor, what);
  if (path.length !== 2 || path[0]!.ca) fail('chain-untrusted', `${what}: the signer must be an end-entity certificate issued by the Intel SGX Root CA`);
  return path;
}

function checkChains(pckChain: X509Certificate[], anchor: X509Certificate, col: IntelCollateral): Paths {
  const paths: Paths = { pck: verifyPckChain(pckChain, anchor) };
  if (col.tcbInfoChain) paths.tcbInfo = signingPath(col.tcbInfoChain, anchor, 'collateral tcb-info-issuer-chain');
  if (col.qeIdentityChain) paths.qeIdentity = signingPath(col.qeIdentityChain, anchor, 'collateral qe-identity-issuer-chain');
  if (col.pckCrlChain) paths.pckCrl = verifyChainToAnchor(col.pckCrlChain, anchor, 'collateral pck-crl-issuer-chain');
  return paths;
}

function checkAllValidity(paths: Paths, now: Date): void {
  checkValidity(paths.pck, now, 'PCK certificate chain');
  if (paths.tcbInfo) checkValidity(paths.tcbInfo, now, 'TCB info issuer chain');
  if (paths.qeIdentity) checkValidity(paths.qeIdentity, now, 'QE identity issuer chain');
  if (paths.pckCrl) checkValidity(paths.pckCrl, now, 'PCK CRL issuer chain');
}

function usableCrl(crl: Crl | undefined, issuer: X509Certificate | undefined): Crl | undefined {
  return crl && issuer && crlIssuedBy(crl, issuer) ? crl : undefined;
}

function checkRevocation(paths: Paths, anchor: X509Certificate, col: IntelCollateral): void {
  const pckCrl = usableCrl(col.pckCrl, paths.pck[1]);
  if (pckCrl) checkNotRevoked(pckCrl, [paths.pck[0]!]);
  const rootCrl = usableCrl(col.rootCrl, anchor);
  if (rootCrl) {
    // Everything the root issued, apart from the root itself.
    const issuedByRoot = [paths.pck, paths.tcbInfo, paths.qeIdentity, paths.pckCrl].flatMap((p) => (p ?? []).filter((c) => !c.raw.equals(anchor.raw)).slice(-1));
    checkNotRevoked(rootCrl, issuedByRoot);
  }
}

function checkPresence(paths: Paths, anchor: X509Certificate, col: IntelCollateral): void {
  const missing: string[] = [];
  if (!col.tcbInfo) missing.push('tcb-info');
  else if (!col.tcbInfo.doc.signature) missing.push('tcb-info-signature');
  if (!col.tcbInfoChain) missing.push('tcb-info-issuer-chain');
  if (!col.qeIdentity) missing.push('qe-identity');
  else if (!col.qeIdentity.doc.signature) missing.push('qe-identity-signature');
  if (!col.qeIdentityChain) missing.push('qe-identity-issuer-chain');
  const pckCa = paths.pck[1]!;
  if (!col.pckCrl) missing.push('pck-crl');
  else if (!usableCrl(col.pckCrl, pckCa)) missing.push(`pck-crl (the one given is not issued by "${pckCa.subject.replace(/\n/g, ', ')}", the PCK's CA)`);
  if (!col.rootCrl) missing.push('root-ca-crl');
  else if (!usableCrl(col.rootCrl, anchor)) missing.push('root-ca-crl (the one given is not issued by the Intel SGX Root CA)');
  if (missing.length > 0) fail('collateral-missing', `Intel collateral missing: ${missing.join(', ')}; fetch it from Intel PCS (or a PCCS) for this platform's FMSPC`);
}

function checkFreshness(col: IntelCollateral, now: Date): void {
  const docs = [
    ['TCB info', col.tcbInfo?.parsed],
    ['QE identity', col.qeIdentity?.parsed],
  ] as const;
  for (const [what, d] of docs) {
    if (!d) continue;
    if (now.getTime() > d.nextUpdate.getTime()) fail('collateral-expired', `${what}: next update was due ${d.nextUpdate.toISOString()} (verification time ${now.toISOString()}); fetch fresh collateral`);
    if (now.getTime() < d.issueDate.getTime()) fail('collateral-expired', `${what}: issued ${d.issueDate.toISOString()}, after the verification time ${now.toISOString()}`);
  }
  if (col.pckCrl) checkCrlFreshness(col.pckCrl, now);
  if (col.rootCrl) checkCrlFreshness(col.rootCrl, now);
}

/** The `tcb-mismatch` class: collateral kind, FMSPC / PCE-ID, identities, TCB level; then the status. */
export function checkTcb(q: Quote, pckLeaf: X509Certificate, col: IntelCollateral): { pck: PckExtensions; tcb: TcbEvaluation } {
  const pck = parsePckExtensions(pckLeaf);
  const info = col.tcbInfo!.parsed;
  const identity = col.qeIdentity!.parsed;
  const wantInfo = q.header.teeType === 'tdx' ? 'TDX' : 'SGX';
  if (info.id !== wantInfo) fail('tcb-mismatch', `the TCB info is for ${info.id}, the quote is ${wantInfo}`);
  const wantQe = q.header.teeType === 'tdx' ? 'TD_QE' : 'QE';
  if (identity.id !== wantQe) fail('tcb-mismatch', `the QE identity is for ${identity.id}, the quote needs ${wantQe}`);
  if (pck.fmspc !== info.fmspc) fail('tcb-mismatch', `the PCK certificate's FMSPC ${pck.fmspc} is not the TCB info's ${info.fmspc}`);
  if (pck.pceId !== info.pceId) fail('tcb-mismatch', `the PCK certificate's PCE-ID ${pck.pceId} is not the TCB info's ${info.pceId}`);
  return { pck, tcb: evaluateTcb(info, identity, pck, q.body, q.qeReport) };
}

export interface AuthenticatedQuote {
  readonly quote: Quote;
  readonly pckChain: readonly X509Certificate[];
  readonly collateral: IntelCollateral;
}

/**
 * Every check up to and including `collateral-expired`: the quote, its PCK
 * chain and all collateral are authentic, valid at `now`, unrevoked, present
 * and fresh. What remains is `checkTcb`.
 */
export function authenticateIntelQuote(evidence: Uint8Array, collateral: Collateral, now: Date, tee: 'sgx' | 'tdx'): AuthenticatedQuote {
  const q = parseQuote(evidence);
  if (q.header.teeType !== tee) fail('malformed', `this is an ${q.header.teeType.toUpperCase()} quote, not ${tee.toUpperCase()}`);
  const pckChain = parseChain(q.pckChainPem, 'PCK certificate chain in the quote');
  if (pckChain.length < 2) fail('malformed', 'the PCK certificate chain in the quote must hold the PCK certificate and its CA');
  const anchor = trustAnchor(collateral['intel-root-ca']);
  const col = parseIntelCollateral(collateral);
  checkSignatures(q, pckChain, anchor, col);
  const paths = checkChains(pckChain, anchor, col);
  checkAllValidity(paths, now);
  checkRevocation(paths, anchor, col);
  checkPresence(paths, anchor, col);
  checkFreshness(col, now);
  return { quote: q, pckChain, collateral: col };
}

/**
 * Verifies `evidence` as a quote of `tee`. Throws AttestationError (reasons
 * `malformed` … `tcb-mismatch`) and nothing else.
 */
export function verifyIntelQuote(evidence: Uint8Array, collateral: Collateral, now: Date, tee: 'sgx' | 'tdx'): VerifiedQuote {
  const a = authenticateIntelQuote(evidence, collateral, now, tee);
  const { pck, tcb } = checkTcb(a.quote, a.pckChain[0]!, a.collateral);
  const c = a.collateral;
  const dates = [c.tcbInfo!.parsed.issueDate, c.qeIdentity!.parsed.issueDate, c.pckCrl!.thisUpdate, c.rootCrl!.thisUpdate];
  const collateralIssueDate = new Date(Math.min(...dates.map((d) => d.getTime())));
  return { quote: a.quote, pck, tcb, collateralIssueDate };
}
