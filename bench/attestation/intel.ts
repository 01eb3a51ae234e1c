/**
 * Intel DCAP verification throughput on the real samples, with full
 * collateral (quote + QE report signatures, PCK / TCB-signing / QE-identity /
 * CRL-issuer chains to the pinned root, both CRLs, TCB info and QE identity
 * signatures, TCB evaluation).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/attestation/intel.js [iterations]
 *
 * TDX v4 runs every check and is then refused with `tcb-mismatch` (its TCB is
 * below every level of its TCB info, see test/attestation/tdx.test.ts): the
 * cost measured is that of a complete verification. No peer verifier (Intel
 * QVL, dcap-qvl) is installed here; the same-run baseline is the bare
 * node:crypto work a verification cannot avoid: the two P-256 signatures of
 * the quote (attestation key, QE report), and for the cold path also the
 * collateral's eight (PCK and CA certificates, two TCB Signing certificates,
 * TCB info, QE identity, two CRLs).
 */
import { clearIntelMemos } from '../../src/attestation/intel/memo.js';
import { clearCertificateCache } from '../../src/attestation/x509.js';
import { createPublicKey, verify } from 'node:crypto';
import { parseQuote } from '../../src/attestation/intel/quote.js';
import { sgxDcapVerifier } from '../../src/attestation/sgx-dcap/index.js';
import { tdxVerifier } from '../../src/attestation/tdx/index.js';
import { AttestationError, type EvidenceVerifier } from '../../src/attestation/verifier.js';
import { sgxV3Dcap, tdxV4Spr, type Sample } from '../../test/attestation/intel-fixtures.js';

async function once(v: EvidenceVerifier, s: Sample): Promise<string> {
  try {
    return (await v.verify(s.evidence, s.collateral, { now: s.now })).tcbStatus;
  } catch (e) {
    if (e instanceof AttestationError) return `refused: ${e.reason}`;
    throw e;
  }
}

/**
 * warm: the same collateral and PCK chain seen before (parsing and collateral
 * signature checks memoised, see src/attestation/intel/memo.ts; validity,
 * freshness, revocation lookups and the quote's own signatures still run).
 * cold: every memo and certificate cache emptied before each verification.
 */
async function bench(label: string, v: EvidenceVerifier, s: Sample, n: number, cold: boolean): Promise<void> {
  const outcome = await once(v, s);
  for (let i = 0; i < Math.min(20, n); i++) await once(v, s); // warm-up of the JIT
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    if (cold) {
      clearIntelMemos();
      clearCertificateCache();
    }
    await once(v, s);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const name = `${label} (${cold ? 'cold' : 'warm'})`;
  console.log(`${name.padEnd(34)} ${(n / (ms / 1000)).toFixed(0).padStart(6)} verifications/s  ${(ms / n).toFixed(3)} ms each  (${n} runs; outcome: ${outcome})`);
}

/** The unavoidable ECDSA P-256 verifications, `extra` more of the same size standing in for the collateral's. */
function baseline(label: string, s: Sample, n: number, extra: number): void {
  const q = parseQuote(s.evidence);
  const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(q.attestationKey.subarray(0, 32)), y: b64u(q.attestationKey.subarray(32)) }, format: 'jwk' });
  const one = (): boolean => verify('sha256', q.signedBytes, { key, dsaEncoding: 'ieee-p1363' }, q.signature);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) for (let k = 0; k < 2 + extra; k++) one();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`${label.padEnd(34)} ${(n / (ms / 1000)).toFixed(0).padStart(6)} verifications/s  ${(ms / n).toFixed(3)} ms each  (${2 + extra} × ECDSA P-256 verify, node:crypto)`);
}

const n = Number(process.argv[2] ?? 500);
for (const cold of [false, true]) {
  await bench('TDX quote v4 + collateral', tdxVerifier, tdxV4Spr(), n, cold);
  await bench('SGX quote v3 + collateral', sgxDcapVerifier, sgxV3Dcap(), n, cold);
  baseline(`baseline (${cold ? 'cold' : 'warm'})`, sgxV3Dcap(), n, cold ? 8 : 0);
}
