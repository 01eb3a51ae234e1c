/**
 * docs/report.md: the report opened in a real headless Chromium (Debian's
 * `chromium`) from disk: no console error, every step and worker of the run
 * shown — a normal run, a failed one, and one with a killed worker, a killed
 * master and a resume — and a screenshot for a person to look at.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import type { RunEvent } from '../../src/engine/events.js';
import { reportData, writeRunReport } from '../../src/report/build.js';
import { renderPage } from '../../src/report/html.js';
import { buildModel } from '../../src/report/model.js';
import { REPO } from '../helpers/cli.js';
import { cmd, run, workflow } from '../engine/build.js';
import { chromiumMissing, load, screenshot } from './chromium.js';
import { CANARY, eventsOf, FIXTURE_RUNS, OWNER, runDir, tmp } from './fixtures.js';

/** The text of a dumped DOM without its tags and the embedded data (what a person sees). */
const visible = (dom: string) => dom.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<[^>]+>/g, ' ');

describe('the report in headless Chromium', { skip: chromiumMissing }, () => {
  const out = tmp('sealflow-report-chromium-');
  for (const name of FIXTURE_RUNS) {
    test(`the ${name} run's report loads without console errors and shows every step, attempt and worker`, async () => {
      const src = { dir: runDir(name), runId: name };
      const file = path.join(out, `${name}.html`);
      await writeRunReport(src, file);
      const data = await reportData(src);
      const page = await load(pathToFileURL(file).href);
      assert.deepEqual(page.console, [], 'console messages');
      assert.match(page.dom, new RegExp(`data-rendered="${data.attempts.length}"`), 'the script rendered every attempt');
      const text = visible(page.dom);
      for (const s of data.steps) assert.ok(text.includes(`${s}[0]`), `step ${s} shown`);
      for (const l of data.lanes) assert.ok(text.includes(l.worker), `worker ${l.worker} shown`);
      assert.equal(new Set(data.lanes.map((l) => l.session)).size, data.sessions.length);
      if (name === 'killed') {
        assert.match(text, /\blost\b/);
        assert.match(text, /\binterrupted\b/);
        assert.equal(data.sessions.length, 2);
      }
      if (name === 'failed') assert.match(text, /exit status 3/);
      // These journals were written before workers reported usage: the columns are there and say so.
      assert.match(text, /CPU \(sum\)\*/);
      assert.match(text, /not recorded/);
      assert.doesNotMatch(page.dom, CANARY);
    });
  }

  test('a screenshot of the report of the run with a killed worker and a resume is taken (docs/images/report.png is one)', async () => {
    const src = { dir: runDir('killed'), runId: 'killed' };
    const file = path.join(out, 'shot.html');
    await writeRunReport(src, file);
    const png = path.join(out, 'report.png');
    assert.deepEqual(await screenshot(pathToFileURL(file).href, png), []);
    assert.ok(fs.readFileSync(png).subarray(1, 4).equals(Buffer.from('PNG')));
    process.stderr.write(`screenshot of the report: ${png}\n`);
    // SEALFLOW_UPDATE_SCREENSHOT=1 refreshes the README's picture (docs/images/report.png) from this one.
    if (process.env['SEALFLOW_UPDATE_SCREENSHOT'] === '1') await screenshot(pathToFileURL(file).href, path.join(REPO, 'docs', 'images', 'report.png'), '1280,1000');
  });

  test('a report of an odd journal (no worker or host on its attempts, no sessions, stray records) still loads without console errors', async () => {
    const ev = eventsOf('killed')
      .filter((e) => e.type !== 'worker-started')
      .map((e) => (e.type === 'step-started' ? ({ ...e, worker: undefined, host: undefined } as unknown as typeof e) : e));
    const odd: RunEvent[][] = [ev, ev.filter((e) => e.type !== 'run-started' && e.type !== 'run-resumed'), []];
    for (const [i, events] of odd.entries()) {
      const file = path.join(out, `odd-${i}.html`);
      fs.writeFileSync(file, renderPage(buildModel('odd', events)));
      const page = await load(pathToFileURL(file).href);
      assert.deepEqual(page.console, [], `odd journal ${i}`);
      assert.match(page.dom, /data-rendered="\d+"/, `odd journal ${i}`);
    }
  });

  test('the private report (owner identity) shows its banner, the stderr tail, the input values and file names in the page', async () => {
    const file = path.join(out, 'private.html');
    await writeRunReport({ dir: runDir('failed'), runId: 'failed' }, file, { identity: OWNER });
    const page = await load(pathToFileURL(file).href);
    assert.deepEqual(page.console, []);
    const text = visible(page.dom);
    assert.match(text, /This report holds decrypted content/);
    assert.match(text, /final: refusing, mode is fail/);
    assert.match(text, /input 1 \(CANARYNAME7731\.txt\)/, 'the key releases name the input file for the owner');
    assert.match(text, /CANARYVALUE7731/);
  });

  test('a run whose worker reported its usage shows CPU time, peak memory and threads used per step and per attempt, marked as reported by the worker', async () => {
    // A real run: the step touches 64 MiB and spends 200 ms of its own CPU time (counted by the process, not the clock).
    const burn = `const b = Buffer.alloc(64 * 1024 * 1024, 1); const s = process.cpuUsage(); let n = 0;
for (;;) { for (let i = 0; i < 100000; i++) n = (n * 31 + i + b[i]) % 1000003; const d = process.cpuUsage(s); if (d.user + d.system >= 200000) break; }`;
    const r = await run(workflow([cmd('burn', { argv: [process.execPath, '-e', burn] })]), { concurrency: 1 });
    assert.equal(r.state, 'succeeded', r.message);
    const data = await reportData({ dir: r.runDir.root, runId: r.runId });
    const u = data.attempts[0]?.usage;
    assert.ok(u && (u.cpuMs ?? 0) >= 200 && (u.maxRssBytes ?? 0) >= 64 * 1024 * 1024 && (u.threadsUsed ?? 0) >= 1, JSON.stringify(u));
    const file = path.join(out, 'usage.html');
    await writeRunReport({ dir: r.runDir.root, runId: r.runId }, file);
    const page = await load(pathToFileURL(file).href);
    assert.deepEqual(page.console, []);
    const text = visible(page.dom).replace(/\s+/g, ' ');
    for (const h of ['CPU (sum)*', 'peak memory (max)*', 'threads used (max)*', 'CPU*', 'peak memory*', 'threads used*']) assert.ok(text.includes(h), `column ${h}`);
    assert.match(text, /reported by the worker/);
    // The attempt's row: wall, CPU*, peak memory*, bytes in, bytes out, threads asked, threads used*, exit.
    const row = /burn\[0\] 1 1 \S+ succeeded [\d.]+ m?s ([\d.]+ m?s) ([\d.]+) MiB - [\d.]+ \S*B 1 (\d+) 0/.exec(text);
    assert.ok(row, `the attempt row shows every usage column: ${text.slice(text.indexOf('Step attempts'), text.indexOf('Workers and attestation'))}`);
    assert.ok(Number(row[2]) >= 64, `peak memory ${row[2]} MiB ≥ 64`);
    assert.ok(Number(row[3]) >= 1, `threads used ${row[3]}`);
  });
});
