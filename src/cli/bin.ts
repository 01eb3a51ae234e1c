#!/usr/bin/env node
/**
 * The installed `sealflow` command (package.json "bin"). It runs the bundled
 * CLI (dist/cli/main.mjs, made by scripts/bundle-cli.mjs after `tsc`: a few
 * files to read instead of ~330 modules, about half the start-up CPU) while
 * it was built from exactly the files now installed (bundle-check.ts), and
 * the compiled modules (./main.js, the same program) otherwise — e.g. after
 * a `tsc` without the bundling step. SEALFLOW_NO_BUNDLE=1 forces the modules.
 * With the bundle, a `--no-encrypt` run's local workers run the bundled
 * executor beside it (dist/cli/executor/main.mjs, covered by the same check),
 * named to the engine through the global `Symbol.for('sealflow.executor')`.
 */
import { fileURLToPath } from 'node:url';
import { BUNDLE_DIR, bundleIsCurrent } from './bundle-check.js';
import { isVersionOnly, VERSION } from './version.js';

// `sealflow --version` is answered here, before the bundle check (which stats every file the bundle was built from).
if (isVersionOnly(process.argv.slice(2))) process.stdout.write(`${VERSION}\n`);
else if (process.env['SEALFLOW_NO_BUNDLE'] !== '1' && bundleIsCurrent()) {
  (globalThis as Record<symbol, unknown>)[Symbol.for('sealflow.executor')] = fileURLToPath(new URL('executor/main.mjs', BUNDLE_DIR));
  await import(new URL('main.mjs', BUNDLE_DIR).href);
}
else await import('./main.js');
