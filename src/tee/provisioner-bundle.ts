/**
 * The provisioner as every platform launches it (docs/protocol.md §3):
 * src/worker/provisioner/provisioner.ts and the WCPAC primitives it imports
 * from src/protocol/, bundled by esbuild into one self-contained ESM file.
 * That one file is what the sim platform measures, what the reference
 * measurement covers and what a remote connector uploads — so measuring it
 * covers everything the provisioner runs besides `node`.
 *
 * Built by esbuild (the bytes depend only on this sealflow's code and
 * esbuild, never on the working directory), then written under its SHA-256
 * to $SEALFLOW_HOME/cache, 0644: it is public code. esbuild's synchronous
 * build costs ~60 ms (it starts esbuild's binary), so a build record beside
 * the bundle names every file esbuild read with the SHA-256 of its contents
 * and esbuild's version: when all still match, the cached bundle is used
 * (its bytes checked against its hash), and any change rebuilds. One record
 * per installation (keyed by the entry's path).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultMasterDir } from '../crypto/master-key.js';

/** The compiled provisioner entry of this installation (imports src/protocol/). */
export const PROVISIONER_ENTRY = fileURLToPath(new URL('../worker/provisioner/provisioner.js', import.meta.url));
/** The compiled `src/` of this installation: esbuild's working directory, so the bundle's path comments are the same everywhere. */
const SRC_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ProvisionerBundle {
  /** The bundled file on the master (`.mjs`: ESM wherever it is copied). */
  readonly path: string;
  /** Its bytes: what is measured. */
  readonly code: Buffer;
  /** Hex SHA-256 of `code` (also in the file name). */
  readonly sha256: string;
}

/** The bundled code of `entry`: a build artifact of this installation, not a run setting. */
const codeCache = new Map<string, Buffer>();

const sha256Hex = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

interface BuildRecord {
  readonly version: 1;
  readonly esbuild: string;
  /** Every file esbuild read (absolute) and the SHA-256 of its contents then. */
  readonly inputs: readonly (readonly [string, string])[];
  /** SHA-256 of the bundle; its file is `provisioner-<first 32>.mjs` beside the record. */
  readonly sha256: string;
}

function cacheDir(env: NodeJS.ProcessEnv): string {
  return path.join(path.dirname(defaultMasterDir(env)), 'cache');
}

function bundleName(sha256: string): string {
  return `provisioner-${sha256.slice(0, 32)}.mjs`;
}

function recordFile(entry: string, env: NodeJS.ProcessEnv): string {
  return path.join(cacheDir(env), `provisioner-build-${sha256Hex(path.resolve(entry)).slice(0, 16)}.json`);
}

function esbuildVersion(): string {
  const require = createRequire(import.meta.url);
  return (JSON.parse(fs.readFileSync(require.resolve('esbuild/package.json'), 'utf8')) as { version: string }).version;
}

/** The bundle a build record vouches for, if every input and esbuild are unchanged; else null. */
function fromRecord(entry: string, env: NodeJS.ProcessEnv): Buffer | null {
  try {
    const r = JSON.parse(fs.readFileSync(recordFile(entry, env), 'utf8')) as BuildRecord;
    if (r.version !== 1 || typeof r.sha256 !== 'string' || !Array.isArray(r.inputs) || r.esbuild !== esbuildVersion()) return null;
    for (const [file, hash] of r.inputs) if (sha256Hex(fs.readFileSync(file)) !== hash) return null;
    const code = fs.readFileSync(path.join(cacheDir(env), bundleName(r.sha256)));
    return sha256Hex(code) === r.sha256 ? code : null;
  } catch {
    return null; // no record, or unreadable: build
  }
}

/** Best effort: a record that cannot be written means the next process builds again. */
function writeRecord(entry: string, env: NodeJS.ProcessEnv, inputs: readonly string[], version: string, code: Buffer): void {
  try {
    const record: BuildRecord = { version: 1, esbuild: version, inputs: inputs.map((f) => [f, sha256Hex(fs.readFileSync(f))] as const), sha256: sha256Hex(code) };
    const file = recordFile(entry, env);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(record), { mode: 0o644 });
    fs.renameSync(tmp, file);
  } catch {
    // unrecorded
  }
}

function buildCode(entry: string, env: NodeJS.ProcessEnv): { code: Buffer; built: { inputs: string[]; esbuild: string } | null } {
  const cached = codeCache.get(entry) ?? fromRecord(entry, env);
  if (cached) {
    codeCache.set(entry, cached);
    return { code: cached, built: null };
  }
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const out = esbuild.buildSync({ entryPoints: [entry], absWorkingDir: SRC_ROOT, bundle: true, format: 'esm', platform: 'node', target: 'node20', write: false, logLevel: 'silent', legalComments: 'none', metafile: true });
  const file = out.outputFiles[0];
  if (!file) throw new Error('esbuild produced no provisioner bundle');
  const code = Buffer.from(file.contents);
  codeCache.set(entry, code);
  const inputs = Object.keys(out.metafile.inputs).map((f) => path.resolve(SRC_ROOT, f));
  return { code, built: { inputs, esbuild: esbuild.version } };
}

/** Writes `code` to `file` atomically unless it is already there with these bytes. */
function materialize(file: string, code: Buffer): void {
  try {
    if (fs.readFileSync(file).equals(code)) return;
  } catch {
    // absent: written below
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, code, { mode: 0o644 });
  fs.renameSync(tmp, file);
}

/** The one-file provisioner of this sealflow, on disk in the master's cache (or, if that cannot be written, a private temporary directory). */
export function provisionerBundle(env: NodeJS.ProcessEnv = process.env, entry: string = PROVISIONER_ENTRY): ProvisionerBundle {
  const { code, built } = buildCode(entry, env);
  const sha256 = sha256Hex(code);
  const name = bundleName(sha256);
  let file = path.join(cacheDir(env), name);
  try {
    materialize(file, code);
    // After the bundle is in place: a record never names a bundle that is not there.
    if (built) writeRecord(entry, env, built.inputs, built.esbuild, code);
  } catch {
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-provisioner-')), name);
    materialize(file, code);
  }
  return { path: file, code, sha256 };
}
