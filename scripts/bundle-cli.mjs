#!/usr/bin/env node
/**
 * Bundles the compiled CLI (dist/src/cli/main.js and everything it imports,
 * packages included) with esbuild into dist/cli/: one entry file plus one
 * chunk per lazily loaded command, so `sealflow <command>` reads a handful of
 * files instead of ~330 modules. Run after `tsc` (npm run build / prepare /
 * test). dist/src/cli/bin.js (the `sealflow` bin) uses the bundle only while
 * every file it was built from is unchanged (dist/cli/inputs.json), and the
 * modules otherwise.
 *
 * The plain executor (dist/src/worker/executor/main.js, the worker process
 * of a `--no-encrypt` local run) is bundled the same way into
 * dist/cli/executor/: a worker then reads a few files instead of its modules
 * at its start. The installed `sealflow` runs it only with the bundled CLI
 * (bin.ts), so the same check covers both.
 *
 * Each module's `import.meta.url` is rewritten to its own compiled file's
 * URL, so the files it locates beside itself (worker entries, the
 * provisioner, chunk-worker.js) are the real ones in dist/src/. esbuild,
 * which starts its own binary, stays external.
 */
import esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'dist', 'cli');
const ENTRY = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const EXECUTOR = path.join(ROOT, 'dist', 'src', 'worker', 'executor', 'main.js');

/** `import.meta.url` of the module at `file`, computed from the URL of the bundle file in `out` at run time. */
const ownUrl = (out) => ({
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(path.join(ROOT, 'dist', 'src') + path.sep)) return undefined;
      const text = await fs.promises.readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'js' };
      const rel = path.relative(out, args.path).split(path.sep).join('/');
      // Not inside the banner strings that bundle.js and check-tasks.js hand to esbuild for their own bundles.
      const own = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
      return { contents: text.replace(/(?<!__sfCreateRequire\()import\.meta\.url/g, own), loader: 'js' };
    });
  },
});

/** One split ESM build of `entry` into `out` (main.mjs plus its chunks); its metafile. */
async function bundle(entry, out) {
  const result = await esbuild.build({
    entryPoints: { main: entry },
    absWorkingDir: ROOT,
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    // Every output file in `out` itself: the import.meta.url rewrite above is relative to it.
    chunkNames: 'chunk-[name]-[hash]',
    external: ['esbuild', 'quickjs-emscripten', '@jitl/*'],
    // CommonJS packages call require() for Node built-ins.
    banner: { js: "import { createRequire as __sfCreateRequire } from 'node:module'; const require = __sfCreateRequire(import.meta.url);" },
    plugins: [ownUrl(out)],
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
  });
  return result.metafile;
}

fs.rmSync(OUT, { recursive: true, force: true });
const cli = await bundle(ENTRY, OUT);
const executor = await bundle(EXECUTOR, path.join(OUT, 'executor'));
const inputs = [...new Set([...Object.keys(cli.inputs), ...Object.keys(executor.inputs)])].map((f) => {
  const abs = path.resolve(ROOT, f);
  const st = fs.statSync(abs);
  return [path.relative(OUT, abs).split(path.sep).join('/'), st.size, st.mtimeMs];
});
fs.writeFileSync(path.join(OUT, 'inputs.json'), JSON.stringify({ version: 1, inputs }));
console.log(`dist/cli: the CLI and the plain executor bundled from ${inputs.length} files`);

// The package's commands (package.json "bin") are run directly (`npx sealflow`, `npx sealflow-cwl-runner`):
// tsc writes them 0644, so make them executable (a mode change leaves their mtime, which the bundle check reads).
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
for (const file of Object.values(pkg.bin ?? {})) fs.chmodSync(path.join(ROOT, file), 0o755);
