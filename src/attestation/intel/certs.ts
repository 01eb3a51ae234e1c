/**
 * X.509 for the Intel chains: PEM splitting, parsing, chain signatures up to
 * the pinned Intel SGX Root CA, and validity at the verification time.
 *
 * Chains (Intel PCS API, "PCK Certificate" and "TCB Info" sections):
 *   PCK certificate → Intel SGX PCK Platform CA or Processor CA → Intel SGX Root CA
 *   Intel SGX TCB Signing → Intel SGX Root CA (signs TCB info and QE identity)
 *   CRLs: the PCK CRL by the Platform/Processor CA, the root CA CRL by the root.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { fail } from './reader.js';
import { keyOf, Memo } from './memo.js';
import { INTEL_SGX_ROOT_CA_PEM, INTEL_SGX_ROOT_CA_SHA256 } from './root-ca.js';

const PEM_RE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

/** The DER of every certificate in a PEM text; anything but whitespace/NUL between blocks is refused. */
export function pemCertificates(pem: Uint8Array | string, what: string): Buffer[] {
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('latin1');
  const out: Buffer[] = [];
  let last = 0;
  for (const m of text.matchAll(PEM_RE)) {
    if (!/^[\s\0]*$/.test(text.slice(last, m.index))) fail('malformed', `${what}: unexpected text between PEM certificates`);
    out.push(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
    last = m.index + m[0].length;
  }
  if (!/^[\s\0]*$/.test(text.slice(last))) fail('malformed', `${what}: unexpected text after the PEM certificates`);
  if (out.length === 0) fail('malformed', `${what}: no PEM certificate found`);
  return out;
}

export function parseCertificate(der: Uint8Array, what: string): X509Certificate {
  try {
    const cert = new X509Certificate(der);
    void cert.publicKey; // decoded lazily by node: an undecodable key must fail here, as malformed
    return cert;
  } catch (e) {
    return fail('malformed', `${what}: not a valid X.509 certificate (${(e as Error).message})`);
  }
}

const chains = new Memo<readonly X509Certificate[]>();

/** The certificates of a PEM chain (memoised by the bytes; the array is a fresh copy). */
export function parseChain(pem: Uint8Array | string, what: string): X509Certificate[] {
  const key = keyOf(typeof pem === 'string' ? Buffer.from(pem, 'latin1') : pem);
  return [...chains.get(key, () => pemCertificates(pem, what).map((der, i) => parseCertificate(der, `${what}, certificate ${i + 1}`)))];
}

export function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

const pinnedRoot = new X509Certificate(INTEL_SGX_ROOT_CA_PEM);
if (sha256Hex(pinnedRoot.raw) !== INTEL_SGX_ROOT_CA_SHA256) throw new Error('embedded Intel SGX Root CA does not match its pinned fingerprint');

/**
 * The trust anchor: the pinned Intel SGX Root CA, unless the collateral
 * carries an `intel-root-ca` override (tests that build their own PKI only).
 */
export function trustAnchor(override: Uint8Array | undefined): X509Certificate {
  if (!override) return pinnedRoot;
  const certs = parseChain(override, 'collateral intel-root-ca');
  if (certs.length !== 1) fail('malformed', 'collateral intel-root-ca must hold exactly one certificate');
  return certs[0]!;
}

export function isPinnedRoot(cert: X509Certificate): boolean {
  return sha256Hex(cert.raw) === INTEL_SGX_ROOT_CA_SHA256;
}

const issued = new Memo<true>(1024);

function signedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    // Only successes are memoised (see memo.ts).
    return issued.get(keyOf(child.raw, parent.raw), () => {
      if (child.checkIssued(parent) && child.verify(parent.publicKey)) return true;
      throw new Error('not issued');
    });
  } catch {
    return false;
  }
}

/**
 * Checks that `chain` (leaf first; the root may be included or left out)
 * chains to `anchor`: each certificate signed by the next, every issuer a CA,
 * the top one the anchor itself (same DER) or signed by it. `chain-untrusted`
 * otherwise. Returns the full path, anchor last.
 */
export function verifyChainToAnchor(chain: readonly X509Certificate[], anchor: X509Certificate, what: string): X509Certificate[] {
  if (chain.length === 0) fail('chain-untrusted', `${what}: empty certificate chain`);
  const path = [...chain];
  const top = path[path.length - 1]!;
  if (top.raw.equals(anchor.raw)) {
    if (!signedBy(anchor, anchor)) fail('chain-untrusted', `${what}: the root certificate's self-signature does not verify`);
  } else {
    if (top.subject === anchor.subject && top.issuer === anchor.subject) {
      fail('chain-untrusted', `${what}: the root certificate is not the pinned Intel SGX Root CA (SHA-256 ${sha256Hex(top.raw)})`);
    }
    path.push(anchor);
  }
  for (let i = 0; i + 1 < path.length; i++) {
    const child = path[i]!;
    const parent = path[i + 1]!;
    if (!parent.ca) fail('chain-untrusted', `${what}: "${parent.subject.replace(/\n/g, ', ')}" is not a CA certificate`);
    if (!signedBy(child, parent)) {
      fail('chain-untrusted', `${what}: "${child.subject.replace(/\n/g, ', ')}" is not signed by "${parent.subject.replace(/\n/g, ', ')}"`);
    }
  }
  return path;
}

/** Validity of every certificate at `now`: `cert-expired` / `cert-not-yet-valid`. */
export function checkValidity(certs: readonly X509Certificate[], now: Date, what: string): void {
  for (const c of certs) {
    const from = new Date(c.validFrom);
    const to = new Date(c.validTo);
    const name = c.subject.replace(/\n/g, ', ');
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) fail('malformed', `${what}: "${name}" has an unreadable validity period`);
    if (now.getTime() > to.getTime()) fail('cert-expired', `${what}: "${name}" expired on ${to.toISOString()} (verification time ${now.toISOString()})`);
    if (now.getTime() < from.getTime()) fail('cert-not-yet-valid', `${what}: "${name}" is valid only from ${from.toISOString()} (verification time ${now.toISOString()})`);
  }
}

/** Lower-case hex serial without leading zeros, as CRL lookup compares it. */
export function serialHex(serial: string | Uint8Array): string {
  const h = typeof serial === 'string' ? serial.toLowerCase() : Buffer.from(serial).toString('hex');
  return h.replace(/^0+(?=.)/, '');
}
