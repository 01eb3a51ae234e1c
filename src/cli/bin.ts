#!/usr/bin/env node
/**
 * The installed `sealflow` command (package.json "bin"). It runs the bundled
 * CLI (dist/cli/main.mjs, made by scripts/bundle-cli.mjs after `tsc`: a few
 * files to read instead of ~330 modules, about half the start-up CPU) while
 * it was built from exactly the files now installed (bundle-check.ts), and
 * the compiled modules (./main.js, the same program) otherwise — e.g. after
 * a `tsc` without the bundling step. SEALFLOW_NO_BUNDLE=1 forces the modules.
 */
import { BUNDLE_DIR, bundleIsCurrent } from './bundle-check.js';
import { isVersionOnly, VERSION } from './version.js';

// `sealflow --version` is answered here, before the bundle check (which stats every file the bundle was built from).
if (isVersionOnly(process.argv.slice(2))) process.stdout.write(`${VERSION}\n`);
else if (process.env['SEALFLOW_NO_BUNDLE'] !== '1' && bundleIsCurrent()) await import(new URL('main.mjs', BUNDLE_DIR).href);
else await import('./main.js');
