/**
 * The Intel part of a `Collateral` map, parsed (not yet trusted): TCB info and
 * QE identity with their exact signed bytes, their issuer chains, the PCK CRL
 * (and optionally its issuer chain) and the root CA CRL. Parsing throws
 * `malformed` / `unsupported-version`; absence is recorded, and reported as
 * `collateral-missing` only when the checks reach that point in REASON_CODES
 * order.
 */
import type { X509Certificate } from 'node:crypto';
import type { Collateral } from '../verifier.js';
import { parseChain } from './certs.js';
import { keyOf, Memo } from './memo.js';
import { parseCrl, type Crl } from './crl.js';
import { parseEnclaveIdentity, parseTcbInfo, type EnclaveIdentity, type TcbInfo } from './pcs-json.js';
import { readSignedJson, type SignedJson } from './signed-json.js';

export interface Signed<T> {
  readonly doc: SignedJson;
  readonly parsed: T;
}

export interface IntelCollateral {
  readonly tcbInfo?: Signed<TcbInfo>;
  readonly tcbInfoChain?: X509Certificate[];
  readonly qeIdentity?: Signed<EnclaveIdentity>;
  readonly qeIdentityChain?: X509Certificate[];
  readonly pckCrl?: Crl;
  readonly pckCrlChain?: X509Certificate[];
  readonly rootCrl?: Crl;
}

const tcbInfos = new Memo<Signed<TcbInfo>>(64);
const identities = new Memo<Signed<EnclaveIdentity>>(64);

export function parseIntelCollateral(c: Collateral): IntelCollateral {
  const out: {
    -readonly [K in keyof IntelCollateral]: IntelCollateral[K];
  } = {};
  const tcbInfo = c['tcb-info'];
  if (tcbInfo) {
    const sig = c['tcb-info-signature'];
    out.tcbInfo = tcbInfos.get(keyOf(tcbInfo, sig ?? 'none'), () => {
      const doc = readSignedJson(tcbInfo, sig, 'tcbInfo', 'collateral tcb-info');
      return { doc, parsed: parseTcbInfo(doc.value, 'collateral tcb-info') };
    });
  }
  const qe = c['qe-identity'];
  if (qe) {
    const sig = c['qe-identity-signature'];
    out.qeIdentity = identities.get(keyOf(qe, sig ?? 'none'), () => {
      const doc = readSignedJson(qe, sig, 'enclaveIdentity', 'collateral qe-identity');
      return { doc, parsed: parseEnclaveIdentity(doc.value, 'collateral qe-identity') };
    });
  }
  const chain = (name: 'tcb-info-issuer-chain' | 'qe-identity-issuer-chain' | 'pck-crl-issuer-chain'): X509Certificate[] | undefined => {
    const b = c[name];
    return b ? parseChain(b, `collateral ${name}`) : undefined;
  };
  const tcbChain = chain('tcb-info-issuer-chain');
  if (tcbChain) out.tcbInfoChain = tcbChain;
  const qeChain = chain('qe-identity-issuer-chain');
  if (qeChain) out.qeIdentityChain = qeChain;
  const crlChain = chain('pck-crl-issuer-chain');
  if (crlChain) out.pckCrlChain = crlChain;
  const pckCrl = c['pck-crl'];
  if (pckCrl) out.pckCrl = parseCrl(pckCrl, 'collateral pck-crl');
  const rootCrl = c['root-ca-crl'];
  if (rootCrl) out.rootCrl = parseCrl(rootCrl, 'collateral root-ca-crl');
  return out;
}
