/**
 * The bundled CLI (scripts/bundle-cli.mjs → dist/cli/) is the same program
 * as the modules, and the installed `sealflow` (dist/src/cli/bin.js) runs it
 * only while it was built from the files now in dist/. The bundle is made
 * here when it is missing or stale (as `npm test` and `npm run build` do).
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleIsCurrent } from '../../src/cli/bundle-check.js';
import { REPO } from '../helpers/cli.js';

const BIN = path.join(REPO, 'dist', 'src', 'cli', 'bin.js');
const BUNDLED = path.join(REPO, 'dist', 'cli', 'main.mjs');

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd = REPO): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the bundled CLI', () => {
  before(() => {
    if (bundleIsCurrent()) return;
    const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'bundle-cli.mjs')], { cwd: REPO, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(bundleIsCurrent(), 'current right after bundling');
  });

  test('sealflow (bin.js) loads the bundle while it is current, and the modules with SEALFLOW_NO_BUNDLE=1', async () => {
    const bundled = await run(BIN, ['keygen', '--help'], { NODE_DEBUG: 'esm' });
    assert.equal(bundled.code, 0, bundled.stderr);
    assert.match(bundled.stderr, /dist\/cli\/main\.mjs/);
    assert.doesNotMatch(bundled.stderr, /dist\/src\/cli\/commands\/keygen\.js/);
    const modules = await run(BIN, ['keygen', '--help'], { NODE_DEBUG: 'esm', SEALFLOW_NO_BUNDLE: '1' });
    assert.equal(modules.code, 0, modules.stderr);
    assert.match(modules.stderr, /dist\/src\/cli\/commands\/keygen\.js/);
    assert.doesNotMatch(modules.stderr, /dist\/cli\/main\.mjs/);
    assert.equal(bundled.stdout, modules.stdout);
  });

  test('the bundle encrypts and decrypts a file large enough for the crypto worker thread', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-bundle-'));
    try {
      const key = path.join(dir, 'key.txt');
      const gen = await run(BUNDLED, ['keygen', '-o', key]);
      assert.equal(gen.code, 0, gen.stderr);
      const recipient = /age1[0-9a-z]+/.exec(fs.readFileSync(key, 'utf8'))?.[0];
      assert.ok(recipient, 'the key file names its recipient');
      const plain = randomBytes(9 * 1024 * 1024 + 17);
      fs.writeFileSync(path.join(dir, 'in'), plain);
      const enc = await run(BUNDLED, ['encrypt', '-r', recipient, '-o', path.join(dir, 'in.age'), path.join(dir, 'in')], { SEALFLOW_CRYPTO_TRACE: '1' });
      assert.equal(enc.code, 0, enc.stderr);
      assert.match(enc.stderr, /worker: modules loaded/, 'the pool worker started from the bundle');
      const dec = await run(BUNDLED, ['decrypt', '-i', key, '-o', path.join(dir, 'out'), path.join(dir, 'in.age')]);
      assert.equal(dec.code, 0, dec.stderr);
      assert.ok(fs.readFileSync(path.join(dir, 'out')).equals(plain));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the bundle runs an encrypted workflow: its workers, provisioner and executor are found beside the modules', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-bundle-run-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'flow.yaml'),
        ['name: bundled', 'outputs:', '  done: { type: file, from: b/o }', 'steps:', '  a:', '    command: ["echo", "hello"]', '    stdout: o', '    out: { o: { type: file, glob: o } }', '  b:', '    command: ["cat", "$(x)"]', '    in: { x: { from: a/o, type: file } }', '    stdout: o', '    out: { o: { type: file, glob: o } }', ''].join('\n'),
      );
      const env = { SEALFLOW_HOME: path.join(dir, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' };
      const r = await run(BUNDLED, ['run', 'flow.yaml', '--quiet', '--state-dir', 'state'], env, dir);
      assert.equal(r.code, 0, r.stderr);
      const out = /done: (\S+\.age)/.exec(r.stdout)?.[1];
      assert.ok(out, r.stdout);
      const d = await run(BUNDLED, ['decrypt', '-i', path.join(dir, 'home', 'owner-identity.txt'), '-o', '-', path.join(dir, out)], env, dir);
      assert.equal(d.code, 0, d.stderr);
      assert.equal(d.stdout, 'hello\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  test('a --no-encrypt run of the installed sealflow starts its local workers from the bundled executor, and from the modules with SEALFLOW_NO_BUNDLE=1', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-bundle-plain-'));
    try {
      // The step's parent process is the worker that runs it: its command line names the executor it started from.
      fs.writeFileSync(
        path.join(dir, 'flow.yaml'),
        ['name: executor', 'outputs:', '  who: { type: file, from: a/o }', 'steps:', '  a:', '    command: ["sh", "-c", "tr \'\\\\0\' \' \' < /proc/$PPID/cmdline"]', '    stdout: o', '    out: { o: { type: file, glob: o } }', ''].join('\n'),
      );
      const env = { SEALFLOW_HOME: path.join(dir, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' };
      const executorOf = async (extra: NodeJS.ProcessEnv, state: string): Promise<string> => {
        const r = await run(BIN, ['run', 'flow.yaml', '--no-encrypt', '--quiet', '--state-dir', state], { ...env, ...extra }, dir);
        assert.equal(r.code, 0, r.stderr);
        const out = /who: (\S+)/.exec(r.stdout)?.[1];
        assert.ok(out, r.stdout);
        return fs.readFileSync(path.join(dir, out), 'utf8');
      };
      assert.match(await executorOf({}, 'bundled'), /\/dist\/cli\/executor\/main\.mjs local-1/);
      assert.match(await executorOf({ SEALFLOW_NO_BUNDLE: '1' }, 'modules'), /\/dist\/src\/worker\/executor\/main\.js local-1/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bundleIsCurrent', () => {
  test('is true only while every recorded input keeps its size and mtime and main.mjs exists', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-bundle-check-'));
    try {
      const url = pathToFileURL(`${dir}/`);
      const input = path.join(dir, 'a.js');
      fs.writeFileSync(input, 'export {};\n');
      const st = fs.statSync(input);
      const record = (inputs: unknown) => fs.writeFileSync(path.join(dir, 'inputs.json'), JSON.stringify({ version: 1, inputs }));
      record([['a.js', st.size, st.mtimeMs]]);
      assert.equal(bundleIsCurrent(url), false, 'no main.mjs');
      fs.writeFileSync(path.join(dir, 'main.mjs'), '');
      assert.equal(bundleIsCurrent(url), true);
      fs.utimesSync(input, new Date(), new Date(st.mtimeMs + 5000));
      assert.equal(bundleIsCurrent(url), false, 'an input was modified');
      record([['missing.js', 1, 1]]);
      assert.equal(bundleIsCurrent(url), false, 'an input is gone');
      record([]);
      assert.equal(bundleIsCurrent(url), false, 'an empty record');
      fs.writeFileSync(path.join(dir, 'inputs.json'), '{not json');
      assert.equal(bundleIsCurrent(url), false, 'a malformed record');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
