/**
 * The encrypted executor bundle (docs/protocol.md §6–§7): the attested
 * executor (src/worker/attested/main.ts) bundled with esbuild into one ESM
 * file, sealed with a fresh 32-byte key. Only its SHA-256 and the key (in
 * master memory) are kept; the sealed file is what connectors ship.
 *
 * The CWL expression sandbox (QuickJS and its WebAssembly, ~0.7 MB of the
 * ~1.1 MB) is not in it: it is a second bundle, whose SHA-256 the executor's
 * code carries (per build) and whose per-run key the sealed executor bundle
 * carries; the master seals it and sends it to a worker only when a step
 * there first needs JavaScript (§7.2).
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { sealBundle } from '../../protocol/wcpac-crypto.js';
import { readExecutorCache, writeExecutorCache } from './executor-cache.js';

/** The attested executor's entry file of this installation (also names its cache). */
export const ENTRY = fileURLToPath(new URL('../../worker/attested/main.js', import.meta.url));
/** The expression sandbox's entry (workflow/cwl/expr/quickjs-module.ts): the sealed sandbox bundle (§7.2). */
export const SANDBOX_ENTRY = fileURLToPath(new URL('../../workflow/cwl/expr/quickjs-module.js', import.meta.url));
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

/** In the executor bundle the sandbox's default loader is replaced: the executor loads the sealed sandbox instead (worker/attested/sandbox.ts). */
const withoutQuickJS = {
  name: 'sealflow-without-quickjs',
  setup(build: import('esbuild').PluginBuild) {
    build.onResolve({ filter: /\/quickjs-module\.js$/ }, (a) => ({ path: a.path, namespace: 'sealflow-without-quickjs' }));
    build.onLoad({ filter: /.*/, namespace: 'sealflow-without-quickjs' }, () => ({
      contents: "export function quickjsModule() { throw new Error('the expression sandbox is not part of the executor bundle: the executor loads it sealed (docs/protocol.md §7.2)'); }",
      loader: 'js',
    }));
  },
};

async function bundle(entry: string, banner: string, plugins: import('esbuild').Plugin[] = []) {
  const esbuild = await import('esbuild');
  return esbuild.build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', target: 'node20', write: false, logLevel: 'silent', banner: { js: banner }, metafile: true, plugins });
}

/** Bundles the CWL expression sandbox (QuickJS, its WebAssembly as data, the Emscripten loader) into one ESM file that runs from memory (§7.2). */
export async function buildSandboxCode(): Promise<string> {
  const cached = readExecutorCache(SANDBOX_ENTRY);
  if (cached !== null) return cached;
  const out = await bundle(SANDBOX_ENTRY, REQUIRE_BUILTINS);
  const file = out.outputFiles[0];
  if (!file) throw new Error('esbuild produced no sandbox bundle');
  writeExecutorCache(file.text, Object.keys(out.metafile.inputs).map((f) => path.resolve(f)), SANDBOX_ENTRY);
  return file.text;
}

/** The SHA-256 (hex) of the sandbox code an executor's code was built with (§7.2), or null. */
export function sandboxHashOf(executorCode: string): string | null {
  return /^const __SEALFLOW_SANDBOX_SHA256__ = "([0-9a-f]{64})";$/m.exec(executorCode.slice(0, 64 * 1024 * 1024))?.[1] ?? null;
}

/**
 * Bundles the attested executor (one ESM file, node built-ins external, the expression sandbox left out) and
 * returns its code, which names the SHA-256 of the sandbox built beside it (§7.2). Its cache lists the
 * sandbox's input files too: a change to the sandbox rebuilds both.
 */
export async function buildExecutorCode(): Promise<string> {
  const cached = readExecutorCache(ENTRY);
  if (cached !== null) return cached;
  const [out, worker, sandbox] = await Promise.all([bundle(ENTRY, REQUIRE_BUILTINS, [withoutQuickJS]), bundle(CHUNK_WORKER, ''), bundle(SANDBOX_ENTRY, REQUIRE_BUILTINS)]);
  const file = out.outputFiles[0];
  const workerFile = worker.outputFiles[0];
  const sandboxFile = sandbox.outputFiles[0];
  if (!file || !workerFile || !sandboxFile) throw new Error('esbuild produced no executor bundle');
  writeExecutorCache(sandboxFile.text, Object.keys(sandbox.metafile.inputs).map((f) => path.resolve(f)), SANDBOX_ENTRY);
  const sandboxSha = createHash('sha256').update(sandboxFile.text, 'utf8').digest('hex');
  const code = `const __SEALFLOW_CHUNK_WORKER__ = ${JSON.stringify(workerFile.text)};\nconst __SEALFLOW_SANDBOX_SHA256__ = "${sandboxSha}";\n${file.text}`;
  // The stand-in for the sandbox's loader is no file (esbuild names it by its plugin's namespace).
  const read = [...Object.keys(out.metafile.inputs), ...Object.keys(worker.metafile.inputs), ...Object.keys(sandbox.metafile.inputs)].filter((f) => !f.startsWith(`${withoutQuickJS.name}:`));
  writeExecutorCache(code, read.map((f) => path.resolve(f)), ENTRY);
  return code;
}

/**
 * The run's sealed sandbox, made when a worker first asks (§7.2): the sandbox code of this installation,
 * checked against the SHA-256 `executorCode` names (the installation must not have changed under the running
 * master), sealed with the run's sandbox key. Memoized by the caller.
 */
export async function sealSandbox(executorCode: string, key: Buffer): Promise<Buffer> {
  const code = await buildSandboxCode();
  const want = sandboxHashOf(executorCode);
  if (want === null || createHash('sha256').update(code, 'utf8').digest('hex') !== want) throw new Error('the expression sandbox of this installation is not the one the running executor bundle names (sealflow was rebuilt during the run)');
  return sealBundle(key, Buffer.from(code, 'utf8'));
}

/**
 * Seals `code` with a fresh key and writes it to `path` (the ciphertext is not secret). With `sandboxKey`, the
 * bundle carries the run's sandbox key (§7.2): it reaches only a worker the master released the bundle key to,
 * and the bundle's own SHA-256, signed by the master, covers it.
 */
export async function sealExecutorBundle(code: string, path: string, sandboxKey?: Buffer): Promise<SealedBundle> {
  const key = randomBytes(32);
  const ref = sandboxKey ? JSON.stringify(sandboxKey.toString('base64')) : 'null';
  const sealed = sealBundle(key, Buffer.from(`const __SEALFLOW_SANDBOX_KEY__ = ${ref};\n${code}`, 'utf8'));
  await writeFile(path, sealed, { mode: 0o644 });
  return { path, sha256: createHash('sha256').update(sealed).digest(), key };
}
