/**
 * Load collateral (verifier.ts `Collateral`: raw bytes by well-known name)
 * from a directory of files or from a JSON bundle. Everything here is
 * offline; `CollateralFetcher` is the design for fetching from AMD KDS and
 * Intel PCS into an on-disk cache (docs/attestation-collateral.md).
 *
 * A single certificate file (PEM chain or one DER certificate) is mapped by
 * its certificates' subjects (collateral-pem.ts).
 *
 * Directory: known file names map to names (see FILE_NAMES); separate
 * `ask.pem` (or `asvk.pem`) and `ark.pem`, as snpguest writes them, make
 * `ask-ark`; other files are ignored. JSON bundle, either
 * - ours: `{ "<collateral name>": "<PEM text or base64>" }`, or
 * - the dcap-qvl shape: `tcb_info` / `qe_identity` (the exact signed JSON
 *   string), `tcb_info_signature` / `qe_identity_signature` (hex r‖s),
 *   `pck_crl` / `root_ca_crl` (hex DER), `*_issuer_chain` (PEM).
 *
 * `intel-root-ca` replaces the pinned Intel root, so it is refused unless the
 * caller passes `{ allowRootOverride: true }` (tests that say so).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { nearest } from '../suggest.js';
import { COLLATERAL_NAMES, type Collateral, type CollateralName } from './verifier.js';
import { COLLATERAL_SHAPES, collateralFromCertificates, looksLikeCertificateFile } from './collateral-pem.js';

/** File name (lower case) → collateral name; patterns are tried in order. */
export const FILE_NAMES: readonly (readonly [RegExp, CollateralName])[] = [
  [/^(vcek|vlek)\.(der|pem|crt|cer)$/, 'vcek'],
  [/^(ask[_-]ark.*|cert_chain)\.pem$/, 'ask-ark'],
  [/^tcb[_-]?info([_-]response)?(\.json)?$/, 'tcb-info'],
  [/^tcb[_-]?info[_-]signature(\.bin)?$/, 'tcb-info-signature'],
  [/^tcb[_-]?info[_-]issuer[_-]chain\.pem$/, 'tcb-info-issuer-chain'],
  [/^qe[_-]?identity([_-]response)?(\.json)?$/, 'qe-identity'],
  [/^qe[_-]?identity[_-]signature(\.bin)?$/, 'qe-identity-signature'],
  [/^qe[_-]?identity[_-]issuer[_-]chain\.pem$/, 'qe-identity-issuer-chain'],
  [/^pck[_-]crl(\.(der|pem|crl))?$/, 'pck-crl'],
  [/^pck[_-]crl[_-]issuer[_-]chain\.pem$/, 'pck-crl-issuer-chain'],
  [/^root[_-](ca[_-])?crl(\.(der|pem|crl))?$/, 'root-ca-crl'],
  [/^sim[_-]root[_-]key\.pem$/, 'sim-root-key'],
  [/^(amd|ark)[_-]?crl(\.(der|pem|crl))?$/, 'amd-crl'],
];

/** dcap-qvl bundle key → [collateral name, how the value is encoded]. */
const QVL_KEYS: Readonly<Record<string, readonly [CollateralName, 'text' | 'hex']>> = {
  tcb_info: ['tcb-info', 'text'],
  tcb_info_signature: ['tcb-info-signature', 'hex'],
  tcb_info_issuer_chain: ['tcb-info-issuer-chain', 'text'],
  qe_identity: ['qe-identity', 'text'],
  qe_identity_signature: ['qe-identity-signature', 'hex'],
  qe_identity_issuer_chain: ['qe-identity-issuer-chain', 'text'],
  pck_crl: ['pck-crl', 'hex'],
  pck_crl_issuer_chain: ['pck-crl-issuer-chain', 'text'],
  root_ca_crl: ['root-ca-crl', 'hex'],
};

export interface LoadOptions {
  /** Accept `intel-root-ca` (replaces the pinned Intel root: tests only). */
  readonly allowRootOverride?: boolean;
}

export function collateralNameOfFile(file: string): CollateralName | undefined {
  const lower = file.toLowerCase();
  return FILE_NAMES.find(([re]) => re.test(lower))?.[1];
}

/** snpguest / KDS style separate files: ask.pem (or asvk.pem) and ark.pem make `ask-ark`. */
function separateRoots(dir: string, entries: readonly string[]): Uint8Array | undefined {
  const lower = new Map(entries.map((e) => [e.toLowerCase(), e]));
  const ask = lower.get('ask.pem') ?? lower.get('asvk.pem');
  const ark = lower.get('ark.pem');
  if (ask === undefined || ark === undefined) return undefined;
  return new Uint8Array(Buffer.concat([readFileSync(path.join(dir, ask)), Buffer.from('\n'), readFileSync(path.join(dir, ark))]));
}

function readDirectory(dir: string): Collateral {
  const out: Collateral = {};
  const origin: Partial<Record<CollateralName, string>> = {};
  const entries = readdirSync(dir).sort();
  const roots = separateRoots(dir, entries);
  if (roots) {
    out['ask-ark'] = roots;
    origin['ask-ark'] = 'ask.pem + ark.pem';
  }
  for (const entry of entries) {
    const name = collateralNameOfFile(entry);
    if (!name || !statSync(path.join(dir, entry)).isFile()) continue;
    if (origin[name]) throw new InputError(`${dir}: both ${origin[name]} and ${entry} are collateral "${name}"; keep one`);
    origin[name] = entry;
    out[name] = new Uint8Array(readFileSync(path.join(dir, entry)));
  }
  return out;
}

function decodeValue(file: string, key: string, value: unknown, how: 'text' | 'hex' | 'pem-or-base64'): Uint8Array {
  if (typeof value !== 'string') throw new InputError(`${file}: "${key}" must be a string`);
  if (how === 'text' || (how === 'pem-or-base64' && value.includes('-----BEGIN'))) return new Uint8Array(Buffer.from(value, 'utf8'));
  if (how === 'hex') {
    if (!/^([0-9a-fA-F]{2})*$/.test(value)) throw new InputError(`${file}: "${key}" must be hex`);
    return new Uint8Array(Buffer.from(value, 'hex'));
  }
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) throw new InputError(`${file}: "${key}" must be PEM text or base64`);
  return new Uint8Array(Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64'));
}

/** Parse a JSON bundle (ours or dcap-qvl's). `file` names it in messages. */
export function parseCollateralBundle(text: string, file: string): Collateral {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not a collateral file: not valid JSON (${(e as Error).message}); expected ${COLLATERAL_SHAPES}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InputError(`${file}: a collateral bundle must be a JSON object`);
  const out: Collateral = {};
  const valid = [...COLLATERAL_NAMES, ...Object.keys(QVL_KEYS)];
  for (const [key, value] of Object.entries(doc)) {
    const qvl = QVL_KEYS[key];
    if (qvl) {
      out[qvl[0]] = decodeValue(file, key, value, qvl[1]);
    } else if ((COLLATERAL_NAMES as readonly string[]).includes(key)) {
      out[key as CollateralName] = decodeValue(file, key, value, 'pem-or-base64');
    } else {
      const near = nearest(key, valid);
      throw new InputError(`${file}: unknown collateral "${key}"${near ? `; did you mean "${near}"?` : `; known: ${COLLATERAL_NAMES.join(', ')}`}`);
    }
  }
  return out;
}

/**
 * The content of a collateral file named `p`: a JSON bundle, or a certificate
 * chain file (PEM or one DER certificate) mapped by its certificates' subjects.
 */
export function parseCollateralFile(bytes: Uint8Array, p: string): Collateral {
  const json = Buffer.from(bytes).toString('latin1').trimStart().startsWith('{');
  if (!json && looksLikeCertificateFile(bytes)) return collateralFromCertificates(bytes, p);
  return parseCollateralBundle(Buffer.from(bytes).toString('utf8'), p);
}

/** Collateral from a directory, a JSON bundle file or a certificate chain file. Throws InputError (exit 2) when it cannot be read. */
export function loadCollateral(p: string, opts: LoadOptions = {}): Collateral {
  let isDir: boolean;
  try {
    isDir = statSync(p).isDirectory();
  } catch (e) {
    throw new InputError(`cannot read collateral ${p}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const c = isDir ? readDirectory(p) : parseCollateralFile(new Uint8Array(readFileSync(p)), p);
  if (c['intel-root-ca'] !== undefined && opts.allowRootOverride !== true) {
    throw new InputError(`${p}: collateral "intel-root-ca" would replace the pinned Intel SGX Root CA; it is accepted only in tests`);
  }
  return c;
}

/**
 * Design: fetch missing collateral from the vendors, cached on disk, so that
 * verification stays offline-capable (a warm cache needs no network).
 * Implementations (not yet written): AMD KDS
 * (`https://kdsintf.amd.com/vcek/v1/{product}/{hwid}?blSPL=&teeSPL=&snpSPL=&ucodeSPL=`,
 * `/vcek/v1/{product}/cert_chain`, `/vcek/v1/{product}/crl`) and Intel PCS v4
 * (`/sgx|tdx/certification/v4/tcb?fmspc=`, `/qe/identity`, `/pckcrl?ca=`,
 * issuer chains from the response headers). See docs/attestation-collateral.md.
 */
export interface CollateralFetcher {
  /** Fill in what `evidence` needs and `have` lacks; never overwrite what the caller gave. */
  complete(evidence: Uint8Array, have: Collateral, opts: { readonly now: Date; readonly offline: boolean }): Promise<Collateral>;
}

export interface CollateralCache {
  /** The cache directory: `<dir>/<vendor>/<key>/<collateral-name>` plus `fetched-at` (ISO time). */
  readonly dir: string;
  /** Entries older than this are refetched when online, used (and reported) when offline. */
  readonly maxAgeHours: number;
}
