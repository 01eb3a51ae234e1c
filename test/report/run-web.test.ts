/**
 * docs/report.md: `sealflow run --web` serves the live view of a real run
 * (encrypted, on sim workers) and it updates as the journal grows;
 * `--report FILE` writes the report when the run ends. The run's `slow`
 * step is held at a gate until the test has seen the view of the run in
 * progress, so the update is observed, not raced.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { CANARY, FLOW, tmp } from './fixtures.js';

interface LiveModel {
  readonly run: { readonly state: string };
  readonly attempts: readonly { readonly step: string; readonly state: string }[];
}

/** Reads the event stream at `url`, calling `onModel` with each model until it returns true. */
function watch(url: string, onModel: (m: LiveModel) => boolean): Promise<LiveModel[]> {
  const seen: LiveModel[] = [];
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      assert.equal(res.statusCode, 200);
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (!data) continue;
          const m = JSON.parse(data.slice(6)) as LiveModel;
          seen.push(m);
          if (onModel(m)) {
            res.destroy();
            resolve(seen);
          }
        }
      });
      res.on('end', () => resolve(seen));
    });
    req.on('error', reject);
  });
}

describe('sealflow run --web and --report', () => {
  test('the live view shows the run in progress, then its end, and the report is written when the run ends', async () => {
    const dir = tmp('sealflow-run-web-');
    const sample = path.join(dir, 'CANARYNAME7731.txt');
    fs.writeFileSync(sample, 'hello CANARYBODY7731\n');
    const gate = path.join(dir, 'gate');
    const report = path.join(dir, 'report.html');
    const env = { ...process.env, SEALFLOW_HOME: path.join(dir, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' };
    const child = spawn(process.execPath, [CLI, 'run', FLOW, '--state-dir', path.join(dir, 'state'), '--input', `sample=${sample}`, '--input', 'label=CANARYVALUE7731', '--input', `hold=${gate}`, '--web', '--report', report, '--quiet'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d: string) => {
        stderr += d;
        const m = /live view: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(stderr);
        if (m) resolve(m[1] as string);
      });
      child.on('exit', () => reject(new Error(`the run ended without a live view: ${stderr}`)));
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const events = url.replace('/?token=', '/events?token=');
    const models = await watch(events, (m) => {
      if (m.attempts.some((a) => a.step === 'slow' && a.state === 'running')) fs.writeFileSync(gate, ''); // seen in progress: let it finish
      return m.run.state === 'succeeded';
    });
    assert.ok(models.some((m) => m.run.state === 'running' && m.attempts.some((a) => a.step === 'slow' && a.state === 'running')), 'the run was seen in progress');
    assert.equal(models.at(-1)?.run.state, 'succeeded', 'and then its end');
    assert.equal(await exited, 0, stderr);
    assert.equal(stderr.split(url).length - 1, 1, 'the URL with its token is printed once');
    const journal = fs.readdirSync(path.join(dir, 'state', 'runs')).map((id) => fs.readFileSync(path.join(dir, 'state', 'runs', id, 'journal.jsonl'), 'utf8')).join('');
    assert.ok(!journal.includes(new URL(url).searchParams.get('token') as string), 'the token is not journalled');
    const html = fs.readFileSync(report, 'utf8');
    assert.match(html, /sealflow run report: report-demo/);
    assert.doesNotMatch(html, CANARY);
    for (const m of models) assert.doesNotMatch(JSON.stringify(m), CANARY);
  });
});
