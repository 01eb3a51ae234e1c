/**
 * SEV-SNP evidence as the Linux configfs-tsm interface delivers it
 * (Documentation/ABI/testing/configfs-tsm): JSON `{ outblob, auxblob,
 * provider: "sev_guest" }` with base64 (or base64url) blobs. `outblob` is the
 * attestation report; `auxblob` is the certificate table of the GHCB spec
 * (AMD pub. 56421, §4.1.8.1 "cert_table"): entries of GUID (16 bytes,
 * RFC 4122 byte order), offset (u32 LE) and length (u32 LE) from the start of
 * the table, ended by an all-zero entry; the certificates follow (DER or PEM).
 */
import { hex, need, u32le, isAllZero, certificatesIn } from '../bytes.js';
import { AttestationError } from '../verifier.js';

/** The GUIDs of the GHCB certificate table entries (GHCB spec §4.1.8.1). */
export const CERT_TABLE_GUIDS = {
  ark: 'c0b406a4a803495297433fb6014cd0ae',
  ask: '4ab7b379bbac4fe4a02f05aef327c782',
  vcek: '63da758de6644564adc5f4b93be8accd',
  vlek: 'a8074bc2a25a483eaae639c045a0b8a1',
} as const;
export type CertTableEntry = keyof typeof CERT_TABLE_GUIDS;

export interface CertTable {
  /** DER of each known certificate found. */
  readonly certs: Partial<Record<CertTableEntry, Uint8Array>>;
  /** GUIDs of entries we do not know (kept for the claims). */
  readonly unknown: readonly string[];
}

export interface TsmEvidence {
  readonly report: Uint8Array;
  readonly certTable?: CertTable;
  readonly provider: string;
}

const ENTRY = 24;

export function parseCertTable(blob: Uint8Array): CertTable {
  const certs: Partial<Record<CertTableEntry, Uint8Array>> = {};
  const unknown: string[] = [];
  const names = Object.entries(CERT_TABLE_GUIDS) as [CertTableEntry, string][];
  for (let at = 0; ; at += ENTRY) {
    need(at + ENTRY <= blob.length, 'the configfs-tsm auxblob certificate table has no terminating zero entry');
    const guid = blob.subarray(at, at + 16);
    const offset = u32le(blob, at + 16);
    const length = u32le(blob, at + 20);
    if (isAllZero(guid)) break;
    need(offset >= at + ENTRY && offset + length <= blob.length && length > 0, `certificate table entry ${hex(guid)} points outside the auxblob`);
    const id = hex(guid);
    const name = names.find(([, g]) => g === id)?.[0];
    if (name === undefined) {
      unknown.push(id);
      continue;
    }
    need(certs[name] === undefined, `certificate table lists ${name.toUpperCase()} twice`);
    const ders = certificatesIn(blob.subarray(offset, offset + length));
    need(ders.length === 1, `certificate table entry ${name.toUpperCase()} does not hold one certificate`);
    certs[name] = ders[0] as Uint8Array;
  }
  return { certs, unknown };
}

function decodeBase64(s: unknown, what: string): Uint8Array {
  need(typeof s === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(s), `configfs-tsm evidence: "${what}" is not base64`);
  return new Uint8Array(Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64'));
}

/**
 * Recognition: JSON text with an "outblob" member whose provider is
 * `sev_guest` (or absent). configfs-tsm JSON from other providers (e.g.
 * `tdx_guest`) is left to their verifiers.
 */
export function looksLikeTsmJson(b: Uint8Array): boolean {
  if (b.length < 12 || b.length > 1 << 20) return false;
  const head = Buffer.from(b.subarray(0, Math.min(b.length, 64))).toString('latin1').trimStart();
  if (!head.startsWith('{') || !Buffer.from(b).includes('"outblob"')) return false;
  try {
    const doc = JSON.parse(Buffer.from(b).toString('utf8')) as unknown;
    const provider = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)['provider'] : undefined;
    return provider === undefined || (typeof provider === 'string' && provider.trim() === 'sev_guest');
  } catch {
    return true; // broken JSON that names an outblob: let the parser say what is wrong
  }
}

export function parseTsmJson(b: Uint8Array): TsmEvidence {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b));
  } catch {
    throw new AttestationError('malformed', 'configfs-tsm evidence is not valid JSON');
  }
  need(typeof doc === 'object' && doc !== null && !Array.isArray(doc), 'configfs-tsm evidence must be a JSON object');
  const o = doc as Record<string, unknown>;
  const rawProvider = o['provider'] ?? 'sev_guest';
  need(typeof rawProvider === 'string', 'configfs-tsm evidence: "provider" must be a string');
  const provider = rawProvider.trim(); // read from configfs, it ends with a newline
  if (provider !== 'sev_guest') throw new AttestationError('malformed', `configfs-tsm evidence from provider "${provider}" is not SEV-SNP (expected "sev_guest")`);
  const report = decodeBase64(o['outblob'], 'outblob');
  const aux = o['auxblob'];
  if (aux === undefined || aux === null || aux === '') return { report, provider };
  return { report, provider, certTable: parseCertTable(decodeBase64(aux, 'auxblob')) };
}

/**
 * configfs-tsm JSON from the files of a report directory
 * (/sys/kernel/config/tsm/report/<name>/{outblob,auxblob,provider}), so that a
 * copied directory verifies like the JSON form.
 */
export function tsmJsonFromParts(outblob: Uint8Array, auxblob: Uint8Array | undefined, provider: string): Uint8Array {
  const doc: Record<string, string> = { outblob: Buffer.from(outblob).toString('base64'), provider };
  if (auxblob && auxblob.length > 0) doc['auxblob'] = Buffer.from(auxblob).toString('base64');
  return new Uint8Array(Buffer.from(JSON.stringify(doc)));
}
