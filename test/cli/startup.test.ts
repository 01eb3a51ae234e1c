/**
 * A command's start loads what its registration needs and no more
 * (issue 15, "every command starts its real work within 0.15 s"): the heavy
 * parts — the engine and the master, the X.509 and attestation libraries
 * (pkijs, asn1js), the CWL expression sandbox (QuickJS and its WebAssembly),
 * the report — load when the command's action reaches them. Checked on the
 * modules (SEALFLOW_NO_BUNDLE=1), where Node names every file it loads; the
 * bundle is cut along the same dynamic imports. No timing here: figures are
 * in bench/RESULTS.md (`node dist/bench/speed/main.js`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../helpers/cli.js';

const BIN = path.join(REPO, 'dist', 'src', 'cli', 'bin.js');

/** The files a `sealflow …` command line loads (file: URLs of ES modules), as Node's ESM debug log names them. */
function loaded(args: readonly string[]): string[] {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'esm', SEALFLOW_NO_BUNDLE: '1' } });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  return [...new Set([...r.stderr.matchAll(/Storing (file:\/\/\S+)/g)].map((m) => m[1] as string))];
}

const HEAVY: Readonly<Record<string, RegExp>> = {
  'the engine': /\/dist\/src\/engine\/(run|run-workflow|scheduler)\.js$/,
  'the master': /\/dist\/src\/master\//,
  pkijs: /\/node_modules\/pkijs\//,
  asn1js: /\/node_modules\/asn1js\//,
  'the QuickJS sandbox': /quickjs/,
  'the connectors': /\/dist\/src\/connectors\//,
  'the report': /\/dist\/src\/report\//,
  yaml: /\/node_modules\/yaml\//,
};

test('sealflow --version is answered by the installed entry itself: neither the bundle nor any command module loads', () => {
  const r = spawnSync(process.execPath, [BIN, '--version'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'esm' } });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  const files = [...new Set([...r.stderr.matchAll(/Storing (file:\/\/\S+)/g)].map((m) => path.basename(m[1] as string)))].sort();
  assert.deepEqual(files, ['bin.js', 'bundle-check.js', 'version.js']);
});

for (const command of ['run', 'check', 'bench', 'attest', 'tee']) {
  test(`sealflow ${command} --help loads none of the engine, master, connectors, report, yaml, pkijs, asn1js or QuickJS modules`, () => {
    const files = loaded([command, '--help']);
    assert.ok(files.some((f) => f.endsWith(`/dist/src/cli/commands/${command}.js`)), `the ${command} command module itself loads`);
    for (const [what, re] of Object.entries(HEAVY)) {
      const hit = files.find((f) => re.test(f));
      assert.equal(hit, undefined, `sealflow ${command} --help loaded ${what}: ${hit ?? ''}`);
    }
  });
}

test('sealflow run on a workflow loads its validation but neither pkijs nor QuickJS before it reports an invalid workflow', () => {
  const r = spawnSync(process.execPath, [BIN, 'run', path.join(REPO, 'test', 'fixtures', 'no-such-flow.yaml')], { cwd: REPO, encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'esm', SEALFLOW_NO_BUNDLE: '1' } });
  assert.equal(r.status, 2, r.stderr.slice(-2000));
  assert.match(r.stderr, /no-such-flow\.yaml/);
  const files = [...r.stderr.matchAll(/Storing (file:\/\/\S+)/g)].map((m) => m[1] as string);
  assert.ok(files.some((f) => f.endsWith('/dist/src/cli/run-plan.js')), 'the run plan (validation) loaded');
  for (const re of [HEAVY['pkijs'], HEAVY['asn1js'], HEAVY['the QuickJS sandbox']] as RegExp[]) assert.equal(files.find((f) => re.test(f)), undefined);
});

test('a plain worker (the executor) reaches ready without loading the CWL runner or the QuickJS sandbox', async () => {
  const entry = path.join(REPO, 'dist', 'src', 'worker', 'executor', 'main.js');
  const child = spawn(process.execPath, ['--', entry, 'startup-test'], { cwd: REPO, env: { ...process.env, NODE_DEBUG: 'esm' }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = Promise.all([new Promise((resolve) => child.on('exit', resolve)), new Promise((resolve) => child.stderr?.on('end', resolve))]);
  const ready = await new Promise<boolean>((resolve) => {
    child.on('message', (m: { type?: string }) => m.type === 'ready' && resolve(true));
    child.on('exit', () => resolve(false));
  });
  if (child.connected) child.disconnect(); // the executor exits when its channel to the master closes
  await exited;
  assert.ok(ready, `the executor said ready: ${stderr.slice(-2000)}`);
  const files = [...stderr.matchAll(/Storing (file:\/\/\S+)/g)].map((m) => m[1] as string);
  assert.ok(files.some((f) => f.endsWith('/dist/src/worker/executor/loop.js')), 'the executor loop loaded');
  for (const re of [/\/dist\/src\/worker\/cwl\//, /\/dist\/src\/worker\/executor\/cwl\.js$/, /\/dist\/src\/workflow\/cwl\//, /quickjs/]) assert.equal(files.find((f) => re.test(f)), undefined, `loaded ${re}`);
});

test('a --no-encrypt run on the local deployment loads neither the ssh nor the Slurm connector, the attested master (key broker, executor port, run CA), tar-stream, pkijs nor QuickJS', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-startup-'));
  try {
    fs.writeFileSync(path.join(dir, 'flow.yaml'), ['name: one', 'outputs:', '  o: { type: file, from: a/o }', 'steps:', '  a:', '    command: ["true"]', '    stdout: o', '    out: { o: { type: file, glob: o } }', ''].join('\n'));
    const env = { ...process.env, NODE_DEBUG: 'esm', SEALFLOW_NO_BUNDLE: '1', SEALFLOW_HOME: path.join(dir, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' };
    const r = spawnSync(process.execPath, [BIN, 'run', 'flow.yaml', '--no-encrypt', '--quiet', '--state-dir', 'state'], { cwd: dir, encoding: 'utf8', env, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const files = [...r.stderr.matchAll(/Storing (file:\/\/\S+)/g)].map((m) => m[1] as string);
    assert.ok(files.some((f) => f.endsWith('/dist/src/connectors/local/index.js')), 'the local connector loaded');
    const heavy = [
      /\/dist\/src\/connectors\/ssh\/(connector|stager|collect|scratch-sweep|host|exec|forward|spawn)\.js$/,
      /\/dist\/src\/connectors\/slurm\/(connector|runner|poller|cluster|site)\.js$/,
      /\/dist\/src\/master\/(session|broker\/broker|broker\/exec-server)\.js$/,
      /\/dist\/src\/crypto\/run-ca\.js$/,
      /\/node_modules\/tar-stream\//,
      HEAVY['pkijs'],
      HEAVY['asn1js'],
      HEAVY['the QuickJS sandbox'],
    ] as RegExp[];
    for (const re of heavy) assert.equal(files.find((f) => re.test(f)), undefined, `loaded ${re}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
