/**
 * The encrypted executor bundle (docs/protocol.md §6–§7): the attested
 * executor (src/worker/attested/main.ts) bundled with esbuild into one ESM
 * file, sealed with a fresh 32-byte key. Only its SHA-256 and the key (in
 * master memory) are kept; the sealed file is what connectors ship.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { sealBundle } from '../../protocol/wcpac-crypto.js';
import { readExecutorCache, writeExecutorCache } from './executor-cache.js';

/** The attested executor's entry file of this installation (also names its cache). */
export const ENTRY = fileURLToPath(new URL('../../worker/attested/main.js', import.meta.url));
/** The crypto pool's worker, embedded in the bundle as source (src/worker/attested/crypto-pool.ts). */
const CHUNK_WORKER = fileURLToPath(new URL('../../crypto/chunk-worker.js', import.meta.url));

/**
 * CommonJS dependencies bundled into the ESM executor (tar-stream's) call
 * `require` for Node built-ins; the bundle is imported from memory, where
 * there is none. This one loads built-ins only.
 */
const REQUIRE_BUILTINS =
  "import { createRequire as __sfCreateRequire, isBuiltin as __sfIsBuiltin } from 'node:module';\n" +
  "const require = (id) => { if (!__sfIsBuiltin(id)) throw new Error('the executor bundle may require only Node built-ins, not ' + id); return __sfCreateRequire(process.cwd() + '/')(id); };\n";

export interface SealedBundle {
  readonly path: string;
  readonly sha256: Buffer;
  readonly key: Buffer;
}

/** Bundles the attested executor (one ESM file, node built-ins external) and returns its code. */
export async function buildExecutorCode(): Promise<string> {
  const cached = readExecutorCache(ENTRY);
  if (cached !== null) return cached;
  const esbuild = await import('esbuild');
  const build = (entry: string, banner = '') => esbuild.build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', target: 'node20', write: false, logLevel: 'silent', banner: { js: banner }, metafile: true });
  const [out, worker] = await Promise.all([build(ENTRY, REQUIRE_BUILTINS), build(CHUNK_WORKER)]);
  const file = out.outputFiles[0];
  const workerFile = worker.outputFiles[0];
  if (!file || !workerFile) throw new Error('esbuild produced no executor bundle');
  const code = `const __SEALFLOW_CHUNK_WORKER__ = ${JSON.stringify(workerFile.text)};\n${file.text}`;
  writeExecutorCache(code, [...Object.keys(out.metafile.inputs), ...Object.keys(worker.metafile.inputs)].map((f) => path.resolve(f)), ENTRY);
  return code;
}

/** Seals `code` with a fresh key and writes it to `path` (the ciphertext is not secret). */
export async function sealExecutorBundle(code: string, path: string): Promise<SealedBundle> {
  const key = randomBytes(32);
  const sealed = sealBundle(key, Buffer.from(code, 'utf8'));
  await writeFile(path, sealed, { mode: 0o644 });
  return { path, sha256: createHash('sha256').update(sealed).digest(), key };
}
