/**
 * The individual authenticity checks of a DCAP quote, exported one by one so
 * that tests (and callers with partial collateral) can run each on its own.
 * Each throws `AttestationError` with the reason of its check class.
 */
import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject, type X509Certificate } from 'node:crypto';
import { equalBytes, isAllZero } from '../bytes.js';
import { fail } from './reader.js';
import { verifyChainToAnchor } from './certs.js';
import { keyOf, Memo } from './memo.js';
import type { Quote } from './quote.js';
import type { SignedJson } from './signed-json.js';

/** ECDSA P-256 / SHA-256 over `data` with a raw r||s signature. */
export function verifyP256(key: KeyObject, data: Uint8Array, rawSig: Uint8Array): boolean {
  try {
    return cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, rawSig);
  } catch {
    return false;
  }
}

/** The attestation key: raw x||y (32 + 32, big-endian) of a P-256 point. */
export function attestationKeyObject(raw: Uint8Array): KeyObject {
  try {
    const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
    return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(raw.subarray(0, 32)), y: b64u(raw.subarray(32, 64)) }, format: 'jwk' });
  } catch {
    return fail('bad-signature', 'the attestation key in the quote is not a valid P-256 point');
  }
}

/** Quote signature: the attestation key signed header ‖ body (SGX ECDSA QL API A.4). */
export function verifyQuoteSignature(q: Quote): void {
  const key = attestationKeyObject(q.attestationKey);
  if (!verifyP256(key, q.signedBytes, q.signature)) {
    fail('bad-signature', 'the quote signature does not verify with the attestation key (header or body altered, or a foreign key)');
  }
}

/**
 * The QE report: signed by the PCK certificate's key, and binding the
 * attestation key — REPORTDATA[0..32] = SHA-256(attestation key ‖ QE
 * authentication data), REPORTDATA[32..64] = 0 (SGX ECDSA QL API A.4, "QE
 * Report"). A broken binding is `bad-signature`, not `malformed`: the quote
 * parsed fine, but the attestation key's signature is not endorsed by the QE,
 * exactly as if the QE's signature over it failed.
 */
export function verifyQeReport(q: Quote, pck: X509Certificate): void {
  if (!verifyP256(pck.publicKey, q.qeReportRaw, q.qeReportSignature)) {
    fail('bad-signature', 'the QE report signature does not verify with the PCK certificate key');
  }
  const digest = createHash('sha256').update(q.attestationKey).update(q.qeAuthData).digest();
  const rd = q.qeReport.reportData;
  if (!equalBytes(rd.subarray(0, 32), digest) || !isAllZero(rd.subarray(32))) {
    fail('bad-signature', 'the QE report data does not bind the attestation key and QE authentication data (SHA-256 mismatch)');
  }
}

/**
 * PCK chain: PCK → Platform/Processor CA → root (the anchor). The chain in the
 * quote must name at least the PCK and its CA.
 */
export function verifyPckChain(chain: readonly X509Certificate[], anchor: X509Certificate): X509Certificate[] {
  const path = verifyChainToAnchor(chain, anchor, 'PCK certificate chain');
  if (path.length < 3) fail('chain-untrusted', 'PCK certificate chain: the PCK certificate must be issued by an Intel PCK CA, not by the root');
  return path;
}

const collateralSignatures = new Memo<boolean>();

/** A TCB info or QE identity signature with the TCB Signing certificate's key (successes memoised, see memo.ts). */
export function verifySignedJson(sj: SignedJson, signer: X509Certificate, what: string): void {
  if (!sj.signature) fail('collateral-missing', `${what}: signature missing`);
  const sig = sj.signature;
  const key = keyOf(sj.signed, sig, signer.raw);
  let ok = false;
  try {
    ok = collateralSignatures.get(key, () => {
      if (verifyP256(signer.publicKey, sj.signed, sig)) return true;
      throw new Error('bad signature');
    });
  } catch {
    ok = false;
  }
  if (!ok) {
    fail('bad-signature', `${what}: the signature over the signed JSON does not verify with the key of "${signer.subject.replace(/\n/g, ', ')}"`);
  }
}
