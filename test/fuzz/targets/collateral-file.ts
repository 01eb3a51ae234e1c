/** Fuzz target: a `--collateral FILE` (JSON bundle, PEM chain, DER certificate), as `sealflow attest verify` reads it. */
import { parseCollateralFile } from '../../../src/attestation/collateral.js';
import { InputError } from '../../../src/errors.js';
import { readAttestationData } from '../../helpers/shared.js';
import type { FuzzTarget } from '../target.js';

export const targets: FuzzTarget[] = [
  {
    name: 'collateral-file',
    seeds: () => [
      readAttestationData('sev-snp', 'milan-v2-virtee', 'ask_ark.pem'),
      readAttestationData('sev-snp', 'milan-v2-virtee', 'vcek.der'),
      readAttestationData('tdx', 'v4-spr', 'tcb-info-issuer-chain.pem'),
      readAttestationData('sgx', 'v3-dcap', 'collateral.json'),
    ],
    run: (input) => parseCollateralFile(input, 'fuzz-collateral'),
    isOwnError: (err) => err instanceof InputError,
  },
];
