/**
 * How sealflow's cost grows with work (issue 15, "Scale"). For an N-step
 * encrypted scatter (the overhead bench's `writeSealflowScatter`: one `true`
 * step scattered over N numbers, then a gather of the N files) and for one
 * step over F owner input files, each a whole `sealflow run` (platform none,
 * every file age-encrypted): wall, CPU of the process tree, the master's own
 * CPU and peak RSS (VmHWM), the journal's size and events. For each N, the
 * same run again SIGKILLed once N/2 steps succeeded, its journal replayed in
 * this process (load + verify only: replay.ts), then `run --resume` timed:
 * wall, CPU, and when its first new step started.
 *
 *   node dist/bench/scale/main.js --steps 100,1000,10000 --files 1,10,100,1000
 *   node dist/bench/scale/main.js --quick
 *   options: --cli PATH (another build's dist/src/cli/main.js), --no-resume, --label TEXT;
 *   --steps none / --files none leave that half out;
 *   --resume-with CLI,CLI… [--rounds R]: the same killed run (made by --cli) resumed by each build in turn,
 *   R rounds, each from a fresh copy of its run directory (before/after on the same run dir);
 *   --resume-only: no whole run of each N, only the killed one and its resumes
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSealflowScatter } from '../overhead/workloads.js';
import { measuredRun, type Measured } from './measure.js';
import { replayJournal, type Replay } from './replay.js';
import { writeFilesWorkload } from './workloads.js';
import { helpIfAsked } from '../help.js';

helpIfAsked(`usage: node dist/bench/scale/main.js [--steps 100,1000,10000] [--files 1,10,100,1000] [--quick]
       [--cli PATH] [--no-resume] [--label TEXT] [--resume-with CLI,CLI... [--rounds R]] [--resume-only]

Measures how sealflow's cost grows with work: an N-step encrypted scatter and one step over F owner
input files, each a whole \`sealflow run\` (platform none, every file age-encrypted): wall, CPU of the
process tree, the master's CPU and peak RSS, the journal's size; then the same run SIGKILLed halfway,
its journal replayed, and \`run --resume\` timed. --steps none / --files none leave that half out;
--cli PATH measures another build's dist/src/cli/main.js; --resume-with resumes the same killed run
with each build in turn, R rounds, each from a fresh copy of its run directory.`);

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const list = (s: string | undefined, d: number[]): number[] => (s === undefined ? d : s === 'none' ? [] : s.split(',').map((x) => Number(x.replace(/_/g, ''))));
const QUICK = process.argv.includes('--quick');
const STEPS = list(arg('--steps'), QUICK ? [20, 100] : [100, 1000, 10000]);
const FILES = list(arg('--files'), QUICK ? [1, 10] : [1, 10, 100, 1000]);
const RESUME = !process.argv.includes('--no-resume');
const CLI = path.resolve(arg('--cli') ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js'));
const RESUME_WITH = (arg('--resume-with') ?? '').split(',').filter((x) => x !== '').map((x) => path.resolve(x));
const ROUNDS = Number(arg('--rounds') ?? 1);
const RESUME_ONLY = process.argv.includes('--resume-only');
const LABEL = arg('--label') ?? path.basename(path.resolve(path.dirname(CLI), '../../..'));
for (const n of [...STEPS, ...FILES]) if (!Number.isInteger(n) || n < 1) throw new Error(`--steps/--files: ${n} is not a positive integer`);
if (!fs.existsSync(CLI)) throw new Error(`--cli: ${CLI} does not exist (build it with npx tsc -p tsconfig.json)`);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-bench-scale-'));
// A throwaway master and owner, never ~/.sealflow.
process.env['SEALFLOW_HOME'] = path.join(root, 'home');
process.env['SEALFLOW_MASTER_PASSPHRASE'] ??= '';

const f1 = (x: number | null) => (x === null ? '—' : x.toFixed(1));
const f2 = (x: number | null) => (x === null ? '—' : x.toFixed(2));
const kb = (b: number) => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1e3).toFixed(0)} KB`);

function check(m: Measured, what: string): Measured {
  if (!m.ok) console.error(`${what} failed:\n${m.stderr}`);
  return m;
}

function row(what: string, m: Measured, per: number): string {
  return `| ${what} | ${LABEL} | ${m.ok ? '' : '**failed** '}${f1(m.wall)} | ${f1(m.treeCpu)} | ${f2(m.masterCpu)} | ${((m.treeCpu / per) * 1000).toFixed(1)} | ${f1(m.masterRssMiB)} MiB | ${kb(m.journalBytes)} (${m.events} events) | ${m.load.toFixed(1)} |`;
}

const stepRows: string[] = [];
const resumeRows: string[] = [];
const fileRows: string[] = [];
try {
  for (const n of STEPS) {
    const dir = path.join(root, `n${n}`);
    fs.mkdirSync(dir, { recursive: true });
    const w = writeSealflowScatter(dir, n);
    const state = path.join(dir, 'state');
    const args = ['run', w.flow, '-i', w.inputs, '--quiet', '--state-dir', state];
    if (!RESUME_ONLY) {
      const full = check(await measuredRun({ cli: CLI, args, stateDir: state, cwd: dir }), `${n} steps`);
      stepRows.push(row(`${n} steps`, full, n + 1));
      fs.rmSync(state, { recursive: true, force: true });
    }
    if (!RESUME) continue;
    const killed = await measuredRun({ cli: CLI, args, stateDir: state, cwd: dir, killAt: Math.floor(n / 2) });
    const replay: Replay | null = killed.runId ? await replayJournal(state, killed.runId) : null;
    const replayed = replay ? `${replay.loadMs.toFixed(0)} + ${replay.verifyMs.toFixed(0)} ms (${replay.events} events, ${replay.reused} reusable)` : '—';
    const resumeRow = (label: string, m: Measured) =>
      `| ${n} | ${label} | ${killed.succeeded} | ${replayed} | ${m.ok ? '' : '**failed** '}${f1(m.wall)} | ${f2(m.firstStep)} | ${f1(m.treeCpu)} | ${f2(m.masterCpu)} | ${f1(m.masterRssMiB)} MiB | ${m.load.toFixed(1)} |`;
    const resume = async (cli: string, at: string) => check(await measuredRun({ cli, args: ['run', '--resume', killed.runId, '--quiet', '--state-dir', at], stateDir: at, cwd: dir }, killed.runId), `resume of ${n} steps by ${cli}`);
    // The same killed run resumed by each build in turn, from a fresh copy of its state each time.
    for (let r = 0; r < ROUNDS && RESUME_WITH.length > 0; r++) {
      for (const cli of RESUME_WITH) {
        const copy = path.join(dir, 'state-copy');
        fs.cpSync(state, copy, { recursive: true });
        resumeRows.push(resumeRow(`${LABEL}'s run, resumed by ${path.basename(path.resolve(path.dirname(cli), '../../..'))}`, await resume(cli, copy)));
        fs.rmSync(copy, { recursive: true, force: true });
      }
    }
    if (RESUME_WITH.length === 0) resumeRows.push(resumeRow(LABEL, await resume(CLI, state)));
    fs.rmSync(state, { recursive: true, force: true });
  }
  for (const f of FILES) {
    const dir = path.join(root, `f${f}`);
    fs.mkdirSync(dir, { recursive: true });
    const w = writeFilesWorkload(dir, f);
    const state = path.join(dir, 'state');
    const m = check(await measuredRun({ cli: CLI, args: ['run', w.flow, '-i', w.inputs, '--quiet', '--state-dir', state], stateDir: state, cwd: dir }), `${f} files`);
    fileRows.push(row(`1 step, ${f} input files`, m, f));
    fs.rmSync(dir, { recursive: true, force: true });
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}

const head = '| run | build | wall s | CPU s (tree) | master CPU s | CPU ms per step (or file) | master peak RSS | journal | load |\n|---|---|---:|---:|---:|---:|---:|---:|---:|';
console.log(`\nsealflow ${CLI}, ${os.cpus().length} cores, encrypted (platform none)\n`);
if (stepRows.length) console.log(`${head}\n${stepRows.join('\n')}\n`);
if (resumeRows.length) {
  console.log('| N | build | killed after (succeeded) | journal replay: load + verify | resume wall s | first new step s | resume CPU s (tree) | master CPU s | master peak RSS | load |');
  console.log(`|---:|---|---:|---|---:|---:|---:|---:|---:|---:|\n${resumeRows.join('\n')}\n`);
}
if (fileRows.length) console.log(`${head}\n${fileRows.join('\n')}`);
