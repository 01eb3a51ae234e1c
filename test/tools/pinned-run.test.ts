/**
 * docs/protocol.md §10.3 through the CLI: command steps of encrypted runs
 * resolve their program on the fixed PATH, never the worker's inherited one,
 * and a pinned tool runs only when its SHA-256 matches the pin.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { DEFAULT_TOOL_PATH } from '../../src/workflow/tools.js';

interface Ev {
  type: string;
  step?: string;
  message?: string;
  tools?: { tool: string; path: string; sha256: string; expected: string }[];
}

function journalOf(state: string): Ev[] {
  const runs = path.join(state, 'runs');
  const id = fs.readdirSync(runs)[0] ?? '';
  return fs.readFileSync(path.join(runs, id, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Ev);
}

describe('§10.3 tools: fixed PATH and pinned hashes in a run', () => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-tools-')));
  const env = { SEALFLOW_HOME: path.join(root, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' };
  const toolDir = path.join(root, 'bin');
  const tool = path.join(toolDir, 'mark-tool');
  const marker = path.join(root, 'marker');
  let sha = '';
  let n = 0;

  /** A workflow dir whose one step runs `command` with this run configuration. */
  function flow(command: string, config: string, more = ''): string {
    const dir = path.join(root, `flow${++n}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'flow.yaml'), `name: tools\nsteps:\n  align:\n    command: ${command}\n${more}`);
    fs.writeFileSync(path.join(dir, 'sealflow.yaml'), `deployments:\n  local: { workers: 1 }\n${config}`);
    return dir;
  }

  before(() => {
    fs.mkdirSync(toolDir);
    fs.writeFileSync(tool, `#!/bin/sh\necho "mark-tool ran" >> ${marker}\n`, { mode: 0o755 });
    sha = createHash('sha256').update(fs.readFileSync(tool)).digest('hex');
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a pinned tool with the right SHA-256 runs on an attested sim worker, and the journal records its tool, path and SHA-256', async () => {
    fs.rmSync(marker, { force: true });
    const dir = flow('[mark-tool]', `path: ${toolDir}:/usr/bin:/bin\ntools:\n  mark-tool: { sha256: ${sha} }\n`);
    const state = path.join(dir, 'state');
    const r = await runCli(['run', dir, '--platform', 'sim', '--state-dir', state], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(marker, 'utf8'), 'mark-tool ran\n');
    const ok = journalOf(state).find((e) => e.type === 'step-succeeded' && e.step === 'align');
    assert.deepEqual(ok?.tools, [{ tool: 'mark-tool', path: tool, sha256: sha, expected: sha }]);
  });

  test('a wrong pin of a tool this machine runs stops the run at load: exit 2 at the pin\'s file:line, both SHA-256, what to do, and nothing started', async () => {
    // The executor's own refusal at exec (a tool changed after load, or on another host) is tested in executor-tools.test.ts.
    fs.rmSync(marker, { force: true });
    const wrong = '0'.repeat(64);
    const dir = flow('[mark-tool]', `path: ${toolDir}:/usr/bin:/bin\ntools:\n  mark-tool: { sha256: ${wrong} }\n`);
    const state = path.join(dir, 'state');
    const r = await runCli(['run', dir, '--state-dir', state], { cwd: dir, env });
    assert.equal(r.code, 2, r.stderr);
    assert.ok(!fs.existsSync(marker), 'the tool did not run');
    assert.ok(r.stderr.includes(`sealflow.yaml:5:3: tool "mark-tool": ${tool} has SHA-256 ${sha}, but the run configuration pins ${wrong} (step align runs it); nothing was started`), r.stderr);
    assert.ok(r.stderr.includes('update its pin'), r.stderr);
    assert.doesNotMatch(r.stderr, /worker/, 'no worker started');
    assert.ok(!fs.existsSync(state), 'no run directory');
  });

  test("a step's command is resolved on the fixed PATH even when the worker's PATH starts with a planted same-named tool", async () => {
    const planted = path.join(root, 'planted');
    fs.mkdirSync(planted, { recursive: true });
    const plantedMarker = path.join(root, 'planted-ran');
    fs.writeFileSync(path.join(planted, 'printenv'), `#!/bin/sh\necho planted >> ${plantedMarker}\n`, { mode: 0o755 });
    const seen = path.join(root, 'path-seen');
    // The executor resolves `printenv` of step align; /bin/sh resolves the one of step script on the PATH it was given.
    const dir = flow('[printenv, PATH]', '', `  script:\n    shell: true\n    command: 'printenv PATH > ${seen}'\n`);
    const plantedEnv = { ...env, PATH: `${planted}:${process.env['PATH'] ?? ''}` };
    const r = await runCli(['run', dir, '--state-dir', path.join(dir, 'state')], { cwd: dir, env: plantedEnv });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!fs.existsSync(plantedMarker), 'the planted tool did not run');
    assert.equal(fs.readFileSync(seen, 'utf8'), `${DEFAULT_TOOL_PATH}\n`, 'the command ran with the fixed PATH');
    // A plain --no-encrypt run without path: keeps the worker's PATH (today's behaviour, the benchmark baseline).
    const plain = await runCli(['run', dir, '--no-encrypt', '--state-dir', path.join(dir, 'state-plain')], { cwd: dir, env: plantedEnv });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(fs.readFileSync(plantedMarker, 'utf8'), 'planted\nplanted\n', 'a plain run uses the inherited PATH');
  });

  test("an encrypted run refuses at load a program found only on the user's PATH, pointing at path:", async () => {
    const dir = flow('[mark-tool]', '');
    const state = path.join(dir, 'state');
    const r = await runCli(['run', dir, '--state-dir', state], { cwd: dir, env: { ...env, PATH: `${toolDir}:${process.env['PATH'] ?? ''}` } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /flow\.yaml:4:\d+: step "align": command 'mark-tool' is not on PATH \/usr\/local\/bin:\/usr\/bin:\/bin, the fixed PATH encrypted runs use .*add its directory to 'path:' in the run configuration/);
    assert.ok(!fs.existsSync(path.join(state, 'runs')), 'no run was started');
  });

  test('an invalid pin stops the run at load with file:line, exit 2, and nothing started', async () => {
    const dir = flow('[mark-tool]', `tools:\n  mark-tool: { sha256: 1234, path: ${tool} }\n`);
    const state = path.join(dir, 'state');
    const r = await runCli(['run', dir, '--state-dir', state], { cwd: dir, env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /sealflow\.yaml:4:\d+: tool "mark-tool": sha256 must be 64 hexadecimal digits/);
    assert.ok(!fs.existsSync(path.join(state, 'runs')), 'no run was started');
  });

  test('on --resume a step whose tool pin changed runs again, and one whose pin is unchanged is reused', async () => {
    const own = path.join(root, 'bin2');
    fs.mkdirSync(own);
    const t = path.join(own, 'mark-tool');
    fs.writeFileSync(t, `#!/bin/sh\necho v1 >> ${marker}\n`, { mode: 0o755 });
    const config = (file: string) => `path: ${own}:/usr/bin:/bin\ntools:\n  mark-tool: { sha256: ${createHash('sha256').update(fs.readFileSync(file)).digest('hex')} }\n`;
    const dir = flow('[mark-tool]', config(t));
    const state = path.join(dir, 'state');
    fs.rmSync(marker, { force: true });
    const first = await runCli(['run', dir, '--no-encrypt', '--state-dir', state], { cwd: dir, env });
    assert.equal(first.code, 0, first.stderr);
    const id = fs.readdirSync(path.join(state, 'runs'))[0] ?? '';
    const same = await runCli(['run', '--resume', id, '--no-encrypt', '--state-dir', state], { cwd: dir, env });
    assert.equal(same.code, 0, same.stderr);
    assert.equal(fs.readFileSync(marker, 'utf8'), 'v1\n', 'an unchanged pin: reused, not run again');
    fs.writeFileSync(t, `#!/bin/sh\necho v2 >> ${marker}\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'sealflow.yaml'), `deployments:\n  local: { workers: 1 }\n${config(t)}`);
    const changed = await runCli(['run', '--resume', id, '--no-encrypt', '--state-dir', state], { cwd: dir, env });
    assert.equal(changed.code, 0, changed.stderr);
    assert.equal(fs.readFileSync(marker, 'utf8'), 'v1\nv2\n', 'the updated tool ran');
  });

  test('tools pin prints an entry whose SHA-256 equals sha256sum, and --config appends entries the loader accepts', async () => {
    const r = await runCli(['tools', 'pin', tool, 'true'], { env });
    assert.equal(r.code, 0, r.stderr);
    const want = execFileSync('sha256sum', [tool], { encoding: 'utf8' }).split(' ')[0];
    const wantTrue = execFileSync('sha256sum', [fs.realpathSync('/usr/bin/true')], { encoding: 'utf8' }).split(' ')[0];
    assert.equal(r.stdout.split('\n')[0], 'tools:');
    assert.equal(r.stdout.split('\n')[1], `  mark-tool: { sha256: ${want}, path: ${tool} }`);
    assert.match(r.stdout.split('\n')[2] ?? '', new RegExp(`^  "true": \\{ sha256: ${wantTrue} \\}`), 'a name YAML reads as a boolean is quoted');
    const dir = flow('[mark-tool]', `path: ${toolDir}:/usr/bin:/bin\n`);
    const appended = await runCli(['tools', 'pin', 'mark-tool', '--config', path.join(dir, 'sealflow.yaml')], { env });
    assert.equal(appended.code, 0, appended.stderr);
    assert.ok(fs.readFileSync(path.join(dir, 'sealflow.yaml'), 'utf8').endsWith(`tools:\n  mark-tool: { sha256: ${want} }   # ${tool}\n`));
    const again = await runCli(['tools', 'pin', 'mark-tool', '--config', path.join(dir, 'sealflow.yaml')], { env });
    assert.equal(again.code, 2, 'a config that already has tools: is left alone');
    fs.rmSync(marker, { force: true });
    const run = await runCli(['run', dir, '--state-dir', path.join(dir, 'state')], { cwd: dir, env });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(fs.existsSync(marker));
  });
});
