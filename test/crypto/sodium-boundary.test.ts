/**
 * A native addon (`sodium-native`, measured by bench/encryption/cipher.ts)
 * must never reach the worker side: the provisioner and the executor bundle
 * run from memory inside the TEE, where only node:crypto or WebAssembly can
 * serve, and an addon would have to become a measured file of every enclave
 * manifest. Nothing under src/ (from which every bundle is built) may name
 * it; were it ever to come in for the master/CLI side, this test says where
 * it may be named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../helpers/cli.js';

/** Files of src/ that may load a native addon: none today (the master/CLI side only, ever). */
const MAY_LOAD_ADDONS: readonly string[] = [];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

test('no module under src/ loads sodium-native, so no provisioner or executor bundle can carry a native addon', () => {
  const offenders = tsFiles(path.join(REPO, 'src'))
    .map((f) => path.relative(REPO, f).split(path.sep).join('/'))
    .filter((rel) => !MAY_LOAD_ADDONS.includes(rel))
    .filter((rel) => /['"]sodium-native['"/]|\.node['"]/.test(readFileSync(path.join(REPO, rel), 'utf8')));
  assert.deepEqual(offenders, [], 'a native addon may be loaded only on the master/CLI side, never from src/worker, src/protocol or below');
});
