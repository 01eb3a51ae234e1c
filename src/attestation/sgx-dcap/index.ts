/** SGX DCAP evidence: Intel ECDSA quotes v3 (and v4/v5 with an SGX enclave report body). See `../intel/`. */
import { intelVerifier } from '../intel/claims.js';
import type { EvidenceVerifier } from '../verifier.js';

export const sgxDcapVerifier: EvidenceVerifier = intelVerifier('sgx');
