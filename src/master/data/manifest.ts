/**
 * Data manifests (docs/connectors/data-in-place.md): the owner's signed list
 * of age ciphertexts already on a deployment's hosts — each one's absolute
 * path there, SHA-256, size and age header bytes (not secret: its stanzas are
 * wrapped to the broker recipient). The master admits such an input from the
 * manifest alone, never reading the file; the worker checks every byte
 * against the recorded SHA-256 before decrypting.
 *
 * The file is outside input: parsed strictly (size, depth, exact keys,
 * duplicate paths), and the Ed25519 signature covers the canonical JSON
 * (RFC 8785, ../receipt/canonical.ts) of everything but the signature.
 */
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { InputError } from '../../errors.js';
import { canonicalJson } from '../receipt/canonical.js';
import { parseSigner, publicOf, signBytes, signerText, verifyBytes } from '../../crypto/sign-key.js';

export const MANIFEST_FORMAT = 'sealflow-data-manifest/1';
/** Domain separation of the signed bytes. */
const SIGNED_PREFIX = 'sealflow-data-manifest-v1\n';
export const MAX_MANIFEST_BYTES = 4 << 20;
export const MAX_ENTRIES = 10_000;
const MAX_PATH = 4096;
const MAX_HEADER = 64 * 1024;
const MAX_DEPTH = 4;
const AGE_MAGIC = 'age-encryption.org/v1\n';

export interface ManifestEntry {
  /** Absolute, normalised path of the ciphertext on the deployment's hosts. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  /** The age header: the file's first bytes, up to and including the `---` line (base64). */
  readonly header: string;
}

export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly entries: readonly ManifestEntry[];
  readonly signature?: { readonly signer: string; readonly value: string };
}

export class ManifestError extends InputError {}

/** The JSON nesting depth of `text`, stopping early past `limit` (strings skipped). */
function depthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function exactKeys(o: Record<string, unknown>, required: readonly string[], optional: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!required.includes(k) && !optional.includes(k)) throw new ManifestError(`${where}: unknown key ${JSON.stringify(k.slice(0, 40))}; allowed: ${[...required, ...optional].join(', ')}`);
  for (const k of required) if (!(k in o)) throw new ManifestError(`${where}: missing ${k}`);
}

/** The age header bytes of a base64 text, checked for shape (magic, a final `--- ` line); throws naming `where`. */
export function headerBytes(b64: unknown, where: string): Buffer {
  if (typeof b64 !== 'string' || b64.length > Math.ceil(MAX_HEADER / 3) * 4) throw new ManifestError(`${where}: header must be base64 of at most ${MAX_HEADER} bytes`);
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.toString('base64') !== b64) throw new ManifestError(`${where}: header is not canonical base64`);
  const text = bytes.toString('latin1');
  const last = text.lastIndexOf('\n---');
  if (!text.startsWith(AGE_MAGIC) || !text.endsWith('\n') || last < 0 || text.indexOf('\n', last + 1) !== text.length - 1) {
    throw new ManifestError(`${where}: header is not a binary age header (the magic line … the "---" line)`);
  }
  return bytes;
}

function parseEntry(v: unknown, i: number, file: string): ManifestEntry {
  const where = `${file}: entries[${i}]`;
  if (!isMap(v)) throw new ManifestError(`${where}: each entry is a map {path, sha256, size, header}`);
  exactKeys(v, ['path', 'sha256', 'size', 'header'], [], where);
  const p = v['path'];
  if (typeof p !== 'string' || p.length === 0 || p.length > MAX_PATH || !path.posix.isAbsolute(p) || path.posix.normalize(p) !== p || p.endsWith('/') || /[\0\n\r]/.test(p)) {
    throw new ManifestError(`${where}: path must be an absolute, normalised file path on the host (at most ${MAX_PATH} characters, no newline)`);
  }
  const sha = v['sha256'];
  if (typeof sha !== 'string' || !/^[0-9a-f]{64}$/.test(sha)) throw new ManifestError(`${where} (${p}): sha256 must be 64 lower-case hex digits`);
  const size = v['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new ManifestError(`${where} (${p}): size must be a whole number of bytes`);
  const header = headerBytes(v['header'], `${where} (${p})`);
  if (header.length > size) throw new ManifestError(`${where} (${p}): the header (${header.length} bytes) is longer than the file (${size})`);
  return { path: p, sha256: sha, size, header: v['header'] as string };
}

/** Parses a manifest file's bytes; throws ManifestError naming `file` and the entry. */
export function parseManifest(bytes: Uint8Array, file: string): Manifest {
  if (bytes.length > MAX_MANIFEST_BYTES) throw new ManifestError(`${file}: a data manifest is at most ${MAX_MANIFEST_BYTES} bytes (this one is ${bytes.length}); split it`);
  const text = Buffer.from(bytes).toString('utf8');
  if (depthExceeds(text, MAX_DEPTH)) throw new ManifestError(`${file}: nested deeper than a data manifest is (${MAX_DEPTH} levels)`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(`${file}: not JSON (${e instanceof Error ? e.message.slice(0, 120) : 'parse error'})`);
  }
  if (!isMap(v)) throw new ManifestError(`${file}: a data manifest is a JSON object with format, entries and signature`);
  exactKeys(v, ['format', 'entries'], ['signature'], file);
  if (v['format'] !== MANIFEST_FORMAT) throw new ManifestError(`${file}: format must be ${JSON.stringify(MANIFEST_FORMAT)}`);
  const raw = v['entries'];
  if (!Array.isArray(raw)) throw new ManifestError(`${file}: entries must be a list`);
  if (raw.length > MAX_ENTRIES) throw new ManifestError(`${file}: at most ${MAX_ENTRIES} entries (this one has ${raw.length}); split it`);
  const entries = raw.map((e, i) => parseEntry(e, i, file));
  const seen = new Map<string, number>();
  entries.forEach((e, i) => {
    const j = seen.get(e.path);
    if (j !== undefined) throw new ManifestError(`${file}: entries[${i}] repeats path ${e.path} (also entries[${j}]); each ciphertext is listed once`);
    seen.set(e.path, i);
  });
  const sig = v['signature'];
  if (sig === undefined) return { format: MANIFEST_FORMAT, entries };
  if (!isMap(sig)) throw new ManifestError(`${file}: signature must be {signer, value}`);
  exactKeys(sig, ['signer', 'value'], [], `${file}: signature`);
  if (typeof sig['signer'] !== 'string' || typeof sig['value'] !== 'string' || sig['value'].length > 200) throw new ManifestError(`${file}: signature.signer and signature.value must be strings`);
  return { format: MANIFEST_FORMAT, entries, signature: { signer: sig['signer'], value: sig['value'] } };
}

/** The bytes the signature covers. */
export function signedBytes(m: Manifest): Buffer {
  return Buffer.from(SIGNED_PREFIX + canonicalJson({ format: m.format, entries: m.entries }), 'utf8');
}

export function signManifest(m: Manifest, key: KeyObject): Manifest {
  return { format: m.format, entries: m.entries, signature: { signer: signerText(publicOf(key)), value: signBytes(key, signedBytes(m)).toString('base64') } };
}

/** Throws ManifestError unless `m` carries a valid signature by `signer` (its text form). */
export function verifyManifest(m: Manifest, signer: string, file: string): void {
  const key = parseSigner(signer, `${file}: the expected signer`);
  if (!m.signature) throw new ManifestError(`${file}: the manifest is not signed; sign it with \`sealflow manifest sign ${path.basename(file)} -k <owner signing key>\``);
  if (m.signature.signer !== signer) throw new ManifestError(`${file}: signed by ${m.signature.signer}, not by ${signer}, the signer the run configuration trusts`);
  const sig = Buffer.from(m.signature.value, 'base64');
  if (sig.toString('base64') !== m.signature.value) throw new ManifestError(`${file}: signature.value is not canonical base64`);
  if (!verifyBytes(key, signedBytes(m), sig)) throw new ManifestError(`${file}: the signature does not verify — the manifest was changed after it was signed, or the signature is forged; re-create and re-sign it`);
}

export function manifestText(m: Manifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}
