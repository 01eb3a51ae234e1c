/**
 * The provisioner as every platform launches it (docs/protocol.md §3):
 * src/worker/provisioner/provisioner.ts and the WCPAC primitives it imports
 * from src/protocol/, bundled by esbuild into one self-contained ESM file.
 * That one file is what the sim platform measures, what the reference
 * measurement covers and what a remote connector uploads — so measuring it
 * covers everything the provisioner runs besides `node`.
 *
 * Built once per process (a few milliseconds; the bytes depend only on this
 * sealflow's code and esbuild, never on the working directory), then written
 * under its SHA-256 to $SEALFLOW_HOME/cache, 0644: it is public code.
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

function buildCode(entry: string): Buffer {
  const cached = codeCache.get(entry);
  if (cached) return cached;
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const out = esbuild.buildSync({ entryPoints: [entry], absWorkingDir: SRC_ROOT, bundle: true, format: 'esm', platform: 'node', target: 'node20', write: false, logLevel: 'silent', legalComments: 'none' });
  const file = out.outputFiles[0];
  if (!file) throw new Error('esbuild produced no provisioner bundle');
  const code = Buffer.from(file.contents);
  codeCache.set(entry, code);
  return code;
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
  const code = buildCode(entry);
  const sha256 = createHash('sha256').update(code).digest('hex');
  const name = `provisioner-${sha256.slice(0, 32)}.mjs`;
  let file = path.join(path.dirname(defaultMasterDir(env)), 'cache', name);
  try {
    materialize(file, code);
  } catch {
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-provisioner-')), name);
    materialize(file, code);
  }
  return { path: file, code, sha256 };
}
