/**
 * The Intel samples of shared/testdata/attestation as evidence + `Collateral`
 * maps (names as in COLLATERAL_NAMES), with their pinned verification times.
 * A local stand-in until src/attestation/collateral.ts (the loader) exists.
 */
import type { Collateral } from '../../src/attestation/verifier.js';
import { readAttestationData } from '../helpers/shared.js';

const read = (...p: string[]): Buffer => Buffer.from(readAttestationData(...p));

export interface Sample {
  readonly name: string;
  readonly evidence: Buffer;
  readonly collateral: Collateral;
  readonly now: Date;
}

export function tdxV4Spr(): Sample {
  const d = ['tdx', 'v4-spr'];
  return {
    name: 'tdx/v4-spr',
    evidence: read(...d, 'quote.dat'),
    collateral: {
      'tcb-info': read(...d, 'tcb-info-response'),
      'tcb-info-issuer-chain': read(...d, 'tcb-info-issuer-chain.pem'),
      'qe-identity': read(...d, 'qe-identity-response'),
      'qe-identity-issuer-chain': read(...d, 'qe-identity-issuer-chain.pem'),
      'pck-crl': read(...d, 'pck-crl'),
      'pck-crl-issuer-chain': read(...d, 'pck-crl-issuer-chain.pem'),
      'root-ca-crl': read(...d, 'root-crl.der'),
    },
    now: new Date('2023-07-01T00:00:00Z'),
  };
}

/** v5 quote with its TCB info; the TCB signing chain is v4-spr's (expired 2025-05-21). */
export function tdxV5Sample(): Sample {
  return {
    name: 'tdx/v5-sample',
    evidence: read('tdx', 'v5-sample', 'quote.dat'),
    collateral: {
      'tcb-info': read('tdx', 'v5-sample', 'tcb-info-response'),
      'tcb-info-issuer-chain': read('tdx', 'v4-spr', 'tcb-info-issuer-chain.pem'),
    },
    now: new Date('2026-02-15T00:00:00Z'),
  };
}

/** dcap-qvl's bundle: CRLs and signatures hex, chains PEM, tcb_info/qe_identity the exact signed JSON. */
export function sgxV3Dcap(): Sample {
  const j = JSON.parse(read('sgx', 'v3-dcap', 'collateral.json').toString('utf8')) as Record<string, string>;
  const s = (k: string): Buffer => Buffer.from(j[k]!, 'utf8');
  const h = (k: string): Buffer => Buffer.from(j[k]!, 'hex');
  return {
    name: 'sgx/v3-dcap',
    evidence: read('sgx', 'v3-dcap', 'quote.dat'),
    collateral: {
      'tcb-info': s('tcb_info'),
      'tcb-info-signature': h('tcb_info_signature'),
      'tcb-info-issuer-chain': s('tcb_info_issuer_chain'),
      'qe-identity': s('qe_identity'),
      'qe-identity-signature': h('qe_identity_signature'),
      'qe-identity-issuer-chain': s('qe_identity_issuer_chain'),
      'pck-crl': h('pck_crl'),
      'pck-crl-issuer-chain': s('pck_crl_issuer_chain'),
      'root-ca-crl': h('root_ca_crl'),
    },
    now: new Date('2025-07-01T00:00:00Z'),
  };
}

export function readShared(...p: string[]): Buffer {
  return read(...p);
}
