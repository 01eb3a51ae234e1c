/**
 * Fuzz targets for every evidence verifier a worker's first message reaches
 * (sev-snp, tdx, sgx-dcap, sim). Seeds are the genuine samples of
 * shared/testdata/attestation (and freshly signed sim evidence under a fixed
 * root); the collateral stays the sample's, the evidence is mutated. Every
 * refusal must be an AttestationError (the verifier contract,
 * test/attestation/contract.ts, checks the same on fixed mutations).
 */
import { snpVerifier } from '../../../src/attestation/sev-snp/index.js';
import { sgxDcapVerifier } from '../../../src/attestation/sgx-dcap/index.js';
import { createSimEvidence, simVerifier } from '../../../src/attestation/sim/index.js';
import { tdxVerifier } from '../../../src/attestation/tdx/index.js';
import { AttestationError, type Collateral, type EvidenceVerifier } from '../../../src/attestation/verifier.js';
import { sgxV3Dcap, tdxV4Spr, tdxV5Sample } from '../../attestation/intel-fixtures.js';
import { genoaTsm, milanVcek } from '../../attestation/snp-samples.js';
import { fixedEcKey } from '../fixed-keys.js';
import type { FuzzTarget } from '../target.js';

const isOwn = (e: unknown): boolean => e instanceof AttestationError;

function evidenceTarget(name: string, verifier: EvidenceVerifier, sample: () => { evidence: Uint8Array; collateral: Collateral; now: Date }): FuzzTarget {
  let s: ReturnType<typeof sample> | undefined;
  const get = (): ReturnType<typeof sample> => (s ??= sample());
  return { name, seeds: () => [new Uint8Array(get().evidence)], run: (b) => verifier.verify(b, get().collateral, { now: get().now }), isOwnError: isOwn };
}

const simRoot = fixedEcKey('P-384', 0x5a);
const simNow = new Date('2026-03-01T00:00:00Z');

export const targets: FuzzTarget[] = [
  evidenceTarget('evidence-sev-snp', snpVerifier, () => ({ evidence: milanVcek.report, collateral: { vcek: milanVcek.vcek }, now: milanVcek.now })),
  evidenceTarget('evidence-sev-snp-tsm', snpVerifier, () => ({ evidence: genoaTsm.json, collateral: {}, now: genoaTsm.now })),
  evidenceTarget('evidence-tdx-v4', tdxVerifier, tdxV4Spr),
  evidenceTarget('evidence-tdx-v5', tdxVerifier, tdxV5Sample),
  evidenceTarget('evidence-sgx-dcap', sgxDcapVerifier, sgxV3Dcap),
  evidenceTarget('evidence-sim', simVerifier, () => ({
    evidence: createSimEvidence(simRoot.privateKey, { measurement: new Uint8Array(48).fill(0xab), reportData: new Uint8Array(64).fill(0xcd), runId: 'run-1', timestamp: simNow }),
    collateral: { 'sim-root-key': new Uint8Array(Buffer.from(simRoot.publicKey.export({ type: 'spki', format: 'pem' }))) },
    now: simNow,
  })),
];
