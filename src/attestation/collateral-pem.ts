/**
 * A certificate file given as collateral (`--collateral chain.pem`, or one
 * DER certificate): which collateral item it is, decided from the
 * certificates' subjects, not the file name.
 *
 * - AMD (O=Advanced Micro Devices): `SEV-VCEK` / `SEV-VLEK` leaf → `vcek`;
 *   ASK (`SEV-<product>`) or ASVK (`SEV-VLEK-<product>`) with ARK
 *   (`ARK-<product>`) → `ask-ark` (ASK first, as AMD KDS `cert_chain` has it).
 * - Intel: `Intel SGX TCB Signing` (+ root) → `tcb-info-issuer-chain` and
 *   `qe-identity-issuer-chain` (Intel PCS signs both with it);
 *   `Intel SGX PCK Platform CA` / `Processor CA` (+ root) →
 *   `pck-crl-issuer-chain`; the root alone → `intel-root-ca` (which the
 *   loader refuses outside tests). A PCK leaf is not collateral: SGX and TDX
 *   quotes carry their PCK chain.
 * - A PEM public key → `sim-root-key`.
 * Anything else is an InputError that says what was expected.
 */
import { X509Certificate } from 'node:crypto';
import { InputError } from '../errors.js';
import type { Collateral, CollateralName } from './verifier.js';

/** What `--collateral FILE` may be, for error messages. */
export const COLLATERAL_SHAPES =
  'a collateral directory (vcek.der, ask_ark.pem, tcb-info-response, …), a JSON bundle ({"<collateral name>": "<PEM text or base64>"}, or dcap-qvl\'s tcb_info/qe_identity/… shape), ' +
  'or a certificate file: an AMD chain (ASK/ASVK + ARK, or a VCEK/VLEK), an Intel chain (TCB Signing or PCK Platform/Processor CA, with the Intel SGX Root CA), PEM or DER';

type Role = 'amd-leaf' | 'amd-ask' | 'amd-ark' | 'intel-tcb-signing' | 'intel-pck-ca' | 'intel-root' | 'intel-pck-leaf';

interface Cert {
  readonly pem: string;
  readonly cn: string;
  readonly role: Role | null;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----\n?/g;

function commonName(c: X509Certificate): string {
  return /(?:^|\n)CN=([^\n]*)/.exec(c.subject)?.[1] ?? c.subject.replace(/\n/g, ', ');
}

function roleOf(c: X509Certificate, cn: string): Role | null {
  if (/(?:^|\n)O=Advanced Micro Devices(?:\n|$)/.test(c.subject)) {
    if (cn === 'SEV-VCEK' || cn === 'SEV-VLEK') return 'amd-leaf';
    if (/^ARK-/.test(cn)) return 'amd-ark';
    if (/^SEV-(VLEK-)?[A-Za-z]+$/.test(cn)) return 'amd-ask';
  }
  if (/(?:^|\n)O=Intel Corporation(?:\n|$)/.test(c.subject)) {
    if (cn === 'Intel SGX TCB Signing') return 'intel-tcb-signing';
    if (cn === 'Intel SGX PCK Platform CA' || cn === 'Intel SGX PCK Processor CA') return 'intel-pck-ca';
    if (cn === 'Intel SGX Root CA') return 'intel-root';
    if (cn === 'Intel SGX PCK Certificate') return 'intel-pck-leaf';
  }
  return null;
}

function parse(pemOrDer: string | Buffer, file: string, n: number): Cert {
  let c: X509Certificate;
  try {
    c = new X509Certificate(pemOrDer);
  } catch (e) {
    throw new InputError(`${file}: certificate ${n} cannot be parsed (${(e as Error).message})`);
  }
  const cn = commonName(c);
  return { pem: c.toString(), cn, role: roleOf(c, cn) };
}

/** True when `bytes` look like a certificate file (PEM blocks, or one DER certificate). */
export function looksLikeCertificateFile(bytes: Uint8Array): boolean {
  const text = Buffer.from(bytes).toString('latin1');
  if (/-----BEGIN [A-Z0-9 ]+-----/.test(text)) return true;
  try {
    new X509Certificate(Buffer.from(bytes));
    return true;
  } catch {
    return false;
  }
}

const chain = (certs: readonly Cert[]): Uint8Array => new Uint8Array(Buffer.from(certs.map((c) => c.pem).join('')));

/** The collateral items that a certificate (or public key) file provides. */
export function collateralFromCertificates(bytes: Uint8Array, file: string): Collateral {
  const text = Buffer.from(bytes).toString('latin1');
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.length === 1 && blocks[0]![1] === 'PUBLIC KEY') return { 'sim-root-key': new Uint8Array(Buffer.from(blocks[0]![0])) };
  const other = blocks.find((b) => b[1] !== 'CERTIFICATE');
  if (other) throw new InputError(`${file}: holds a PEM "${other[1]}" block; a certificate chain file holds only CERTIFICATE blocks (expected ${COLLATERAL_SHAPES})`);
  const certs = blocks.length > 0 ? blocks.map((b, i) => parse(b[0], file, i + 1)) : [parse(Buffer.from(bytes), file, 1)];
  const unknown = certs.find((c) => c.role === null);
  if (unknown) throw new InputError(`${file}: certificate "${unknown.cn}" is not AMD SEV-SNP or Intel SGX/TDX collateral (expected ${COLLATERAL_SHAPES})`);
  const has = (r: Role): boolean => certs.some((c) => c.role === r);
  const of = (...roles: Role[]): Cert[] => certs.filter((c) => roles.includes(c.role as Role));
  if (has('intel-pck-leaf')) {
    throw new InputError(`${file}: holds an Intel PCK certificate; SGX and TDX quotes carry their own PCK chain, so it is not collateral (give the TCB Signing or PCK CA issuer chain)`);
  }
  const out: Collateral = {};
  const set = (name: CollateralName, value: Uint8Array): void => {
    out[name] = value;
  };
  const amd = of('amd-leaf', 'amd-ask', 'amd-ark');
  const intel = of('intel-tcb-signing', 'intel-pck-ca', 'intel-root');
  if (amd.length > 0 && intel.length > 0) throw new InputError(`${file}: mixes AMD and Intel certificates; give one chain per file, or a collateral directory`);
  if (amd.length > 0) {
    if (of('amd-leaf').length > 1) throw new InputError(`${file}: holds ${of('amd-leaf').length} VCEK/VLEK certificates; give one`);
    const [leaf] = of('amd-leaf');
    if (leaf) set('vcek', new Uint8Array(Buffer.from(leaf.pem)));
    if (has('amd-ask') || has('amd-ark')) {
      if (!has('amd-ask') || !has('amd-ark')) throw new InputError(`${file}: an AMD chain needs both the ASK (or ASVK) and the ARK certificate; it has only ${of('amd-ask', 'amd-ark').map((c) => c.cn).join(', ')}`);
      set('ask-ark', chain([...of('amd-ask'), ...of('amd-ark')]));
    }
    return out;
  }
  if (has('intel-tcb-signing') && has('intel-pck-ca')) throw new InputError(`${file}: holds both a TCB Signing and a PCK CA certificate; give each issuer chain in its own file, or a collateral directory`);
  const root = of('intel-root');
  if (has('intel-tcb-signing')) {
    const c = chain([...of('intel-tcb-signing'), ...root]);
    set('tcb-info-issuer-chain', c);
    set('qe-identity-issuer-chain', c);
  } else if (has('intel-pck-ca')) {
    set('pck-crl-issuer-chain', chain([...of('intel-pck-ca'), ...root]));
  } else {
    set('intel-root-ca', chain(root));
  }
  return out;
}
