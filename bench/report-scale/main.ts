/**
 * bench/report-scale: the run report at scale (docs/report.md). For each N,
 * a synthetic journal of N steps (synthetic.ts) is turned into the report
 * (build + render, in process), and the page is opened in headless Chromium
 * beside its peer, an empty page, in the same invocation: each is loaded R
 * times in a fresh Chromium (`--dump-dom`), alternating. Reported: the HTML's
 * size, the page's own time from navigation start to "rendered" (its script
 * stamps `data-render-ms`), and Chromium's whole wall time, report and peer.
 * Targets (the issue): under 10 MB and open within 3 s at 10,000 steps.
 *
 *   node dist/bench/report-scale/main.js [N ...] [--runs R] [--run-dir DIR]
 *
 * `--run-dir DIR` measures the report of a real run's journal (DIR/journal.jsonl) too.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readJournal } from '../../src/engine/journal.js';
import { renderPage } from '../../src/report/html.js';
import { buildModel } from '../../src/report/model.js';
import { syntheticJournal } from './synthetic.js';
import { helpIfAsked } from '../help.js';

helpIfAsked(`usage: node dist/bench/report-scale/main.js [N ...] [--runs R] [--run-dir DIR]

Measures the HTML run report at scale (docs/report.md): for each N, a synthetic journal of N steps is
built and rendered in process, and the page is opened R times in a fresh headless Chromium beside an
empty page, alternating: the HTML's size, the page's own render time and Chromium's wall time.
--run-dir DIR measures a real run's journal (DIR/journal.jsonl) too. Needs chromium.`);

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;
const runDirAt = args.indexOf('--run-dir');
const realRun = runDirAt >= 0 ? args[runDirAt + 1] : undefined;
const sizes = args.filter((a, i) => /^\d+$/.test(a) && i !== runsAt + 1).map(Number);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-report-bench-'));

function open(file: string): { wallMs: number; renderMs: number | null } {
  const profile = fs.mkdtempSync(path.join(dir, 'profile-'));
  const t0 = performance.now();
  const r = spawnSync('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`, '--dump-dom', pathToFileURL(file).href], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const wallMs = performance.now() - t0;
  fs.rmSync(profile, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`chromium failed: ${r.stderr.slice(-1000)}`);
  const m = /data-render-ms="(\d+)"/.exec(r.stdout);
  return { wallMs, renderMs: m ? Number(m[1]) : null };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const peer = path.join(dir, 'empty.html');
fs.writeFileSync(peer, '<!doctype html><html><body><script>document.body.setAttribute("data-render-ms", String(Math.round(performance.now())))</script></body></html>');
process.stdout.write(`| steps | HTML MB | build+render ms | page rendered at ms (median of ${runs}) | Chromium wall s: report | Chromium wall s: empty page |\n|---:|---:|---:|---:|---:|---:|\n`);
const cases: [string, () => ReturnType<typeof syntheticJournal>][] = (sizes.length || realRun ? sizes : [1000, 10000]).map((n) => [String(n), () => syntheticJournal(n)]);
if (realRun) cases.push([`real run ${path.basename(realRun)}`, () => readJournal(path.join(realRun, 'journal.jsonl')).events]);
for (const [n, journal] of cases) {
  const events = journal();
  const t0 = performance.now();
  const html = renderPage(buildModel('bench', events));
  const buildMs = performance.now() - t0;
  const file = path.join(dir, `report-${n}.html`);
  fs.writeFileSync(file, html);
  const rep: { wallMs: number; renderMs: number | null }[] = [];
  const emp: { wallMs: number; renderMs: number | null }[] = [];
  for (let i = 0; i < runs; i++) {
    rep.push(open(file));
    emp.push(open(peer));
  }
  process.stdout.write(
    `| ${n} | ${(Buffer.byteLength(html) / 1e6).toFixed(2)} | ${buildMs.toFixed(0)} | ${median(rep.map((r) => r.renderMs ?? NaN)).toFixed(0)} | ${(median(rep.map((r) => r.wallMs)) / 1000).toFixed(2)} | ${(median(emp.map((r) => r.wallMs)) / 1000).toFixed(2)} |\n`,
  );
}
fs.rmSync(dir, { recursive: true, force: true });
