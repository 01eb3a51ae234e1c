/**
 * The Intel samples of shared/testdata/attestation as evidence + `Collateral`
 * maps, loaded with the project's collateral loader, and their pinned
 * verification times (README of the test data).
 */
import { loadCollateral } from '../../src/attestation/collateral.js';
import type { Collateral } from '../../src/attestation/verifier.js';
import { attestationData, readAttestationData } from '../helpers/shared.js';

const read = (...p: string[]): Buffer => Buffer.from(readAttestationData(...p));

export interface Sample {
  readonly name: string;
  readonly evidence: Buffer;
  readonly collateral: Collateral;
  readonly now: Date;
}

/** TDX v4 with full PCS collateral (a directory of files). */
export function tdxV4Spr(): Sample {
  return {
    name: 'tdx/v4-spr',
    evidence: read('tdx', 'v4-spr', 'quote.dat'),
    collateral: loadCollateral(attestationData('tdx', 'v4-spr')),
    now: new Date('2023-07-01T00:00:00Z'),
  };
}

/** v5 quote with its TCB info; the TCB signing chain is v4-spr's (expired 2025-05-21). */
export function tdxV5Sample(): Sample {
  return {
    name: 'tdx/v5-sample',
    evidence: read('tdx', 'v5-sample', 'quote.dat'),
    collateral: {
      ...loadCollateral(attestationData('tdx', 'v5-sample')),
      'tcb-info-issuer-chain': read('tdx', 'v4-spr', 'tcb-info-issuer-chain.pem'),
    },
    now: new Date('2026-02-15T00:00:00Z'),
  };
}

/** dcap-qvl's bundle: CRLs and signatures hex, chains PEM, tcb_info/qe_identity the exact signed JSON. */
export function sgxV3Dcap(): Sample {
  return {
    name: 'sgx/v3-dcap',
    evidence: read('sgx', 'v3-dcap', 'quote.dat'),
    collateral: loadCollateral(attestationData('sgx', 'v3-dcap', 'collateral.json')),
    now: new Date('2025-07-01T00:00:00Z'),
  };
}

export function readShared(...p: string[]): Buffer {
  return read(...p);
}
