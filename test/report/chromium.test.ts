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
});
