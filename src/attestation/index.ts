/**
 * The attestation entry point: detect the evidence type, verify authenticity
 * with its verifier, then apply the policy.
 */
import { snpVerifier } from './sev-snp/index.js';
import { simVerifier } from './sim/index.js';
import { tdxVerifier } from './tdx/index.js';
import { sgxDcapVerifier } from './sgx-dcap/index.js';
import { applyPolicy, checkReportData, type AttestationPolicy } from './policy.js';
import { AttestationError, REASON_CODES, type Claims, type Collateral, type EvidenceVerifier, type Platform } from './verifier.js';

/** Every evidence verifier, by platform. Detection tries them in this order. */
export const verifiers: Partial<Record<Platform, EvidenceVerifier>> = {
  'sev-snp': snpVerifier,
  tdx: tdxVerifier,
  sgx: sgxDcapVerifier,
  sim: simVerifier,
};

/** The verifier that recognises these bytes, or undefined. */
export function detectEvidence(bytes: Uint8Array): EvidenceVerifier | undefined {
  for (const v of Object.values(verifiers)) {
    try {
      if (v.sniff(bytes)) return v;
    } catch {
      // a sniffer that throws does not recognise the bytes
    }
  }
  return undefined;
}

export interface VerifyEvidenceOptions {
  readonly now: Date;
  /** Hex or bytes; shorter values are zero-padded to 64 bytes. */
  readonly expectedReportData?: string | Uint8Array;
  /** Refuse (policy-violation) evidence of any other platform. */
  readonly platform?: Platform;
}

/**
 * Verify evidence and apply a policy. Without a policy only authenticity (and
 * report data, when expected) is checked: the caller must say so to the user.
 * Always either returns claims or throws `AttestationError`.
 */
export async function verifyEvidence(evidence: Uint8Array, collateral: Collateral, policy: AttestationPolicy | undefined, opts: VerifyEvidenceOptions): Promise<Claims> {
  const verifier = detectEvidence(evidence);
  if (!verifier) {
    throw new AttestationError('malformed', `unrecognised evidence (${evidence.length} bytes): not ${Object.keys(verifiers).join(', ')} evidence`);
  }
  let claims: Claims;
  try {
    claims = await verifier.verify(evidence, collateral, { now: opts.now });
  } catch (err) {
    if (err instanceof AttestationError) throw err;
    // A verifier must only throw AttestationError; anything else is a parser bug on hostile input.
    throw new AttestationError('malformed', `the ${verifier.platform} evidence could not be parsed (${err instanceof Error ? err.message : String(err)})`);
  }
  const wrongPlatform =
    opts.platform !== undefined && claims.platform !== opts.platform
      ? new AttestationError('policy-violation', `the evidence is from platform ${claims.platform}, but ${opts.platform} is required`)
      : undefined;
  try {
    if (policy) {
      applyPolicy(claims, policy, {
        now: opts.now,
        ...(opts.expectedReportData !== undefined ? { expectedReportData: opts.expectedReportData } : {}),
      });
    } else if (opts.expectedReportData !== undefined) {
      checkReportData(claims, opts.expectedReportData);
    }
  } catch (err) {
    // Keep the reason precedence: a platform mismatch (policy-violation) outranks later reasons.
    if (wrongPlatform && err instanceof AttestationError && REASON_CODES.indexOf(err.reason) > REASON_CODES.indexOf('policy-violation')) throw wrongPlatform;
    throw err;
  }
  if (wrongPlatform) throw wrongPlatform;
  return claims;
}

export { applyPolicy, definePolicy, DEFAULT_POLICY, type AttestationPolicy } from './policy.js';
export { loadPolicy, parsePolicy } from './policy-load.js';
export { loadCollateral, parseCollateralBundle } from './collateral.js';
export { AttestationError, REASON_CODES, type Claims, type Collateral, type Platform, type ReasonCode } from './verifier.js';
