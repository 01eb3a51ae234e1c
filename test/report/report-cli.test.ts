/** docs/report.md: `sealflow report` on real runs' journals — what it writes, and what it never writes. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import type { ReportModel } from '../../src/report/model.js';
import { CANARY, FIXTURE_RUNS, FLOW, OWNER, runDir, tmp } from './fixtures.js';

describe('sealflow report', () => {
  const out = tmp('sealflow-report-');
  for (const name of FIXTURE_RUNS) {
    test(`the report of the ${name} run holds no canary from its inputs, values or file names, and is not private`, async () => {
      const file = path.join(out, `${name}.html`);
      const r = await runCli(['report', '--run-dir', runDir(name), '-o', file]);
      assert.equal(r.code, 0, r.stderr);
      const html = fs.readFileSync(file, 'utf8');
      assert.doesNotMatch(html, CANARY);
      assert.match(html, /id="public-banner"/);
      assert.doesNotMatch(html, /https?:\/\/(?!age-encryption)/, 'no network address in the page');
      assert.equal(fs.statSync(file).mode & 0o077, 0o044);
    });
  }

  test('with the owner identity the report shows the failed step\'s stderr tail and the inputs, says so at its top and is written 0600', async () => {
    const file = path.join(out, 'private.html');
    const r = await runCli(['report', '--run-dir', runDir('failed'), '-o', file, '--identity', OWNER]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /mode 0600/);
    const html = fs.readFileSync(file, 'utf8');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.ok(html.indexOf('id="private-banner"') < html.indexOf('<main'), 'the banner comes first');
    assert.match(html, /final: refusing, mode is fail/);
    assert.match(html, /CANARYVALUE7731/, 'the owner sees the input values');
    assert.match(html, /CANARYNAME7731\.txt/, 'and the input file names');
  });

  test('an unknown run is refused with exit status 2, naming it, and nothing is written', async () => {
    const file = path.join(out, 'none.html');
    const r = await runCli(['report', 'no-such-run', '--state-dir', out, '-o', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no run no-such-run in /);
    assert.equal(fs.existsSync(file), false);
  });

  test('an output in a missing directory is refused with exit status 2 and nothing is left behind', async () => {
    const r = await runCli(['report', '--run-dir', runDir('ok'), '-o', path.join(out, 'missing', 'r.html')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /-o .*missing.*does not exist/);
  });

  test('sealflow run --report into a missing directory is refused with exit status 2 before anything runs', async () => {
    const state = path.join(out, 'state-missing');
    const r = await runCli(['run', FLOW, '--state-dir', state, '--input', `sample=${path.join(runDir('ok'), 'journal.jsonl')}`, '--report', path.join(out, 'nowhere', 'r.html')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--report .*nowhere.*does not exist/);
    assert.equal(fs.existsSync(state), false, 'no run was created');
  });

  test('a damaged journal record is refused naming the journal, the record and the field', async () => {
    const dir = tmp('sealflow-report-damaged-');
    const lines = fs.readFileSync(path.join(runDir('ok'), 'journal.jsonl'), 'utf8').split('\n');
    const i = lines.findIndex((l) => l.startsWith('{"type":"step-started"'));
    lines[i] = (lines[i] ?? '').replace(/"index":0/, '"index":"zero"');
    fs.writeFileSync(path.join(dir, 'journal.jsonl'), lines.join('\n'));
    const r = await runCli(['report', '--run-dir', dir, '-o', path.join(dir, 'r.html')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`journal of run .*, record ${i + 1} \\(step-started\\): field index is not int`));
    assert.equal(fs.existsSync(path.join(dir, 'r.html')), false);
  });
});

describe('sealflow report on a plain run (platform none, --no-encrypt)', () => {
  test('it says the run was not encrypted and its workers had no TEE, and still shows no input name or value', async () => {
    const dir = tmp('sealflow-report-plain-');
    const sample = path.join(dir, 'CANARYNAME7731.txt');
    fs.writeFileSync(sample, 'hello CANARYBODY7731\n');
    const env = { SEALFLOW_HOME: path.join(dir, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' };
    const run = await runCli(['run', FLOW, '--state-dir', path.join(dir, 'state'), '--platform', 'none', '--no-encrypt', '--input', `sample=${sample}`, '--input', 'label=CANARYVALUE7731', '--json'], { env });
    assert.equal(run.code, 0, run.stderr);
    const id = (JSON.parse(run.stdout.split('\n')[0] as string) as { runId: string }).runId;
    const file = path.join(dir, 'r.html');
    const r = await runCli(['report', id, '--state-dir', path.join(dir, 'state'), '-o', file], { env });
    assert.equal(r.code, 0, r.stderr);
    const html = fs.readFileSync(file, 'utf8');
    assert.doesNotMatch(html, CANARY);
    const data = JSON.parse(/<script type="application\/json" id="sealflow-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '{}') as ReportModel;
    assert.equal(data.run.encrypted, false);
    assert.ok(data.lanes.length > 0 && data.lanes.every((l) => l.platform === 'none'));
    assert.ok(data.attestations.every((a) => a.evidence === 'none'));
  });
});
