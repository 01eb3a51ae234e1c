/** TDX evidence: Intel DCAP quotes v4 and v5 with a TD report body (TEE type 0x81). See `../intel/`. */
import { intelVerifier } from '../intel/claims.js';
import type { EvidenceVerifier } from '../verifier.js';

export const tdxVerifier: EvidenceVerifier = intelVerifier('tdx');
