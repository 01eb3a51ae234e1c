/**
 * `sealflow check` on local deployments: it looks for the programs the steps
 * run and hashes the pinned ones on this machine, says what it found, and
 * exits 1 with one line per problem naming the deployment; an invalid run
 * configuration is exit 2 with file:line. Nothing is run or written.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, runCli } from '../helpers/cli.js';

const FLOW = [
  'name: tools',
  'inputs:',
  '  text: { type: string }',
  'outputs:',
  '  lines: { type: file, from: count/lines }',
  'steps:',
  '  count:',
  '    command: [wc, -l]',
  '    stdout: lines.txt',
  '    out:',
  '      lines: { type: file, glob: lines.txt }',
  '  upper:',
  '    command: [no-such-tool-sealflow, $(text)]',
  '    in:',
  '      text: { from: text, type: string }',
  '',
].join('\n');

describe('sealflow check on local deployments', () => {
  let dir: string;
  let home: string;
  let wcHash: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-check-'));
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-check-home-'));
    fs.writeFileSync(path.join(dir, 'flow.yaml'), FLOW);
    wcHash = createHash('sha256').update(fs.readFileSync(fs.realpathSync('/usr/bin/wc'))).digest('hex');
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  });
  const check = (config: string, extra: readonly string[] = []) => {
    fs.writeFileSync(path.join(dir, 'sealflow.yaml'), config);
    return runCli(['check', path.join(dir, 'flow.yaml'), ...extra], { env: { SEALFLOW_HOME: home }, cwd: dir });
  };

  test('the word-count example is ready on this machine: exit 0, and the deployment is listed with its node version', async () => {
    const r = await runCli(['check', path.join(REPO, 'examples', 'word-count')], { env: { SEALFLOW_HOME: home } });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^ok +local \(local, sim; \d+ steps\)$/m);
    assert.match(r.stdout, new RegExp(`node ${process.version.replaceAll('.', '\\.')}`));
    assert.match(r.stdout, /every deployment is ready/);
  });

  test('a program no step could find and a pin that does not match are one line each, naming the deployment and what to do; exit 1', async () => {
    const r = await check(`deployments:\n  here: { connector: local, platform: none, workers: 1 }\npath: /usr/bin:/bin\ntools:\n  wc: { sha256: ${'0'.repeat(64)} }\n`);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const lines = r.stdout.split('\n').filter((l) => l.includes('✗'));
    assert.equal(lines.length, 2, r.stdout);
    assert.ok(lines.every((l) => l.includes('deployment "here"')), r.stdout);
    assert.ok(lines.some((l) => /no-such-tool-sealflow not found on the steps' PATH \(\/usr\/bin:\/bin\) — install it/.test(l)), r.stdout);
    assert.ok(lines.some((l) => l.includes(`has SHA-256 ${wcHash}, but the run configuration pins ${'0'.repeat(64)}`) && l.includes('sealflow tools pin')), r.stdout);
    assert.match(r.stdout, /2 problems in 1 of 1 deployment/);
  });

  test('with the right pin only the missing program is reported, and --json says the same as one object', async () => {
    const r = await check(`deployments:\n  here: { connector: local, platform: none, workers: 1 }\npath: /usr/bin:/bin\ntools:\n  wc: { sha256: ${wcHash} }\n`, ['--json']);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { type: string; ok: boolean; deployments: { deployment: string; problems: string[] }[] };
    assert.equal(out.type, 'check');
    assert.equal(out.ok, false);
    assert.deepEqual(out.deployments.map((d) => d.deployment), ['here']);
    assert.equal(out.deployments[0]!.problems.length, 1);
    assert.match(out.deployments[0]!.problems[0]!, /no-such-tool-sealflow/);
  });

  test('an invalid run configuration is exit 2 with its file:line, and nothing is checked', async () => {
    const r = await check('deployments:\n  here: { connector: lokal, platform: none }\n');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /sealflow\.yaml:2:\d+/);
    assert.match(r.stderr, /did you mean 'local'/i);
    assert.equal(r.stdout, '');
  });

  test('check --help says what it does, that it runs nothing, and its exit statuses', async () => {
    const r = await runCli(['check', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /runs nothing/);
    assert.match(r.stdout, /Exit status: 0 every deployment is ready; 1 problems were found/);
  });
});
