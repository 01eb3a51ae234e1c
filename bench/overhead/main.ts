/**
 * bench/overhead: engine overhead per step. Runs the workloads of
 * workloads.ts for each N and prints total seconds and ms/step for sealflow
 * (journal on, local workers) next to cwltool --no-container and
 * snakemake -j 2 when they are installed, all in the same run.
 *
 *   node dist/bench/overhead/main.js [--n 100,1000] [--reps 3] [--no-peers] [--modules]
 *
 * sealflow runs as installed (dist/src/cli/bin.js: the bundled CLI, whose
 * plain workers run the bundled executor, while the bundle is current — a
 * warning says when it is not); --modules runs the compiled modules instead
 * (SEALFLOW_NO_BUNDLE=1; what this benchmark measured before session 8).
 *
 * Each figure is the best of --reps runs (wall clock of the whole command,
 * process start included). The "floor" row is a bare Node process spawning
 * the same N `true`s two at a time: what the machine allows at that moment. Fixed cost and per-step cost come from a line
 * through the smallest and largest N.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCwl, writeSealflowScatter, writeSealflowSteps, writeSnakefile } from './workloads.js';
import { bundleIsCurrent } from '../../src/cli/bundle-check.js';
import { helpIfAsked } from '../help.js';

helpIfAsked(`usage: node dist/bench/overhead/main.js [--n 100,1000] [--reps 3] [--no-peers] [--modules]

Measures the engine's overhead per step: for each N, trivial-step workloads run by sealflow (journal on,
local workers, plain and encrypted) beside cwltool --no-container and snakemake -j 2 when installed
(--no-peers leaves them out) and a floor (a bare Node process spawning the same N \`true\`s), in one
invocation; best of --reps, seconds and ms/step, and fixed and per-step cost from a line through the
smallest and largest N. sealflow runs as installed (dist/src/cli/bin.js, the bundled CLI while it is
current); --modules runs the compiled modules instead (SEALFLOW_NO_BUNDLE=1).`);

const CLI = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}
const NS = arg('--n', '100,1000').split(',').map(Number);
const REPS = Number(arg('--reps', '3'));
const PEERS = !process.argv.includes('--no-peers');
const MODULES = process.argv.includes('--modules');
if (MODULES) process.env['SEALFLOW_NO_BUNDLE'] = '1';

function installed(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function seconds(bashTime: string): number {
  const m = /(\d+)m([\d.]+)s/.exec(bashTime);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
}

/**
 * Wall seconds of the best of REPS runs, and the CPU seconds (user + system,
 * the command and all its descendants, from bash's `times`) of that run;
 * `prepare` runs untimed before each. CPU time is far less sensitive to the
 * machine's load than wall time.
 */
function time(label: string, cmd: string, args: string[], cwd: string, prepare: () => void = () => undefined): { seconds: number; cpu: number } {
  let best = { seconds: Infinity, cpu: NaN };
  for (let r = 0; r < REPS; r++) {
    prepare();
    const t0 = performance.now();
    const p = spawnSync('bash', ['-c', '"$@" >/dev/null || exit; times >&2', 'bash', cmd, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 256 << 20 });
    const wall = (performance.now() - t0) / 1000;
    const err = p.stderr.toString();
    if (p.status !== 0) throw new Error(`${label} failed (status ${p.status}): ${err.slice(-2000)}`);
    const children = err.trim().split('\n').at(-1) ?? '';
    const [user, sys] = children.split(/\s+/).map(seconds);
    if (wall < best.seconds) best = { seconds: wall, cpu: (user ?? NaN) + (sys ?? NaN) };
  }
  return best;
}

interface Row {
  readonly tool: string;
  readonly n: number;
  readonly seconds: number;
  readonly cpu: number;
}

/** The machine's floor: one Node process spawning `true` N times, two at a time (no engine, no journal). */
const FLOOR = `import { spawn } from 'node:child_process';
const n = Number(process.argv[1]); let next = 0;
await Promise.all([0, 1].map(async () => { while (next < n) { next++; await new Promise((r) => spawn('true', [], { stdio: 'ignore' }).on('exit', r)); } }));`;

const rows: Row[] = [];
let kept = 0; // state directories moved aside (below)
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-bench-overhead-'));
// The encrypted rows need a master and an owner identity: a throwaway one, never ~/.sealflow.
process.env['SEALFLOW_HOME'] = path.join(root, 'home');
process.env['SEALFLOW_MASTER_PASSPHRASE'] ??= '';
for (const n of NS) {
  const dir = path.join(root, `n${n}`);
  fs.mkdirSync(dir, { recursive: true });
  const steps = writeSealflowSteps(dir, n);
  const scatter = writeSealflowScatter(dir, n);
  const state = path.join(dir, 'state');
  // The previous repetition's state directory is moved aside, not deleted, until the end: on ext4 without a
  // journal (this machine's root) the inode allocator skips inodes deleted in the last 60-300 s, so deleting
  // ~3,000 of them before each repetition made every next run allocate past them (bench/RESULTS.md, STEPENC).
  const clean = () => fs.existsSync(state) && fs.renameSync(state, path.join(root, `done-${kept++}`));
  rows.push({ tool: 'floor: node spawn true, 2 at a time', n, ...time('floor', process.execPath, ['--input-type=module', '-e', FLOOR, String(n)], dir) });
  // Like for like with the peers (no encryption): --no-encrypt. The encrypted default (platform none: the
  // WCPAC path without a TEE, every file age-encrypted) is measured beside it.
  rows.push({ tool: 'sealflow (N steps)', n, ...time('sealflow', process.execPath, [CLI, 'run', steps, '--no-encrypt', '--quiet', '--state-dir', state], dir, clean) });
  rows.push({ tool: 'sealflow (scatter)', n, ...time('sealflow', process.execPath, [CLI, 'run', scatter.flow, '-i', scatter.inputs, '--no-encrypt', '--quiet', '--state-dir', state], dir, clean) });
  rows.push({ tool: 'sealflow (N steps, encrypted)', n, ...time('sealflow', process.execPath, [CLI, 'run', steps, '--quiet', '--state-dir', state], dir, clean) });
  if (PEERS && installed('cwltool')) {
    const cwl = writeCwl(dir, n);
    const out = path.join(dir, 'cwl-out');
    rows.push({ tool: 'cwltool --no-container', n, ...time('cwltool', 'cwltool', ['--no-container', '--quiet', '--outdir', out, cwl.workflow, cwl.job], dir) });
    rows.push({ tool: 'cwltool --no-container --parallel', n, ...time('cwltool', 'cwltool', ['--no-container', '--parallel', '--quiet', '--outdir', out, cwl.workflow, cwl.job], dir) });
  }
  if (PEERS && installed('snakemake')) {
    const snakefile = writeSnakefile(dir, n);
    const wd = path.dirname(snakefile);
    const cleanSm = () => {
      fs.rmSync(path.join(wd, 's'), { recursive: true, force: true });
      fs.rmSync(path.join(wd, 'gather.o'), { force: true });
      fs.rmSync(path.join(wd, '.snakemake'), { recursive: true, force: true });
    };
    rows.push({ tool: 'snakemake -j 2', n, ...time('snakemake', 'snakemake', ['-j', '2', '-q', '-s', snakefile, '-d', wd], wd, cleanSm) });
  }
}
fs.rmSync(root, { recursive: true, force: true });

const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
const out: string[] = [];
const entry = MODULES ? 'sealflow from the compiled modules (--modules)' : bundleIsCurrent() ? 'sealflow as installed (the bundled CLI)' : 'WARNING: the CLI bundle is missing or stale, so sealflow ran from the modules (run `node scripts/bundle-cli.mjs`, or `npm run build`)';
out.push(`overhead: N trivial \`true\` steps + 1 gather; best of ${REPS}; ${os.availableParallelism()} cores; load average ${load}; ${entry}`);
out.push('');
out.push('| tool | N | total s | ms/step | CPU s | CPU ms/step |');
out.push('|---|---:|---:|---:|---:|---:|');
for (const r of rows)
  out.push(`| ${r.tool} | ${r.n} | ${r.seconds.toFixed(2)} | ${((r.seconds * 1000) / r.n).toFixed(2)} | ${r.cpu.toFixed(2)} | ${((r.cpu * 1000) / r.n).toFixed(2)} |`);
const tools = [...new Set(rows.map((r) => r.tool))];
const lo = Math.min(...NS);
const hi = Math.max(...NS);
if (lo !== hi) {
  out.push('');
  out.push('| tool | fixed s | marginal ms/step | fixed CPU s | marginal CPU ms/step |');
  out.push('|---|---:|---:|---:|---:|');
  for (const t of tools) {
    const a = rows.find((r) => r.tool === t && r.n === lo);
    const b = rows.find((r) => r.tool === t && r.n === hi);
    if (!a || !b) continue;
    const per = (b.seconds - a.seconds) / (hi - lo);
    const cpuPer = (b.cpu - a.cpu) / (hi - lo);
    out.push(`| ${t} | ${(a.seconds - per * lo).toFixed(2)} | ${(per * 1000).toFixed(2)} | ${(a.cpu - cpuPer * lo).toFixed(2)} | ${(cpuPer * 1000).toFixed(2)} |`);
  }
  const sf = rows.find((r) => r.tool === 'sealflow (scatter)' && r.n === hi);
  const cwls = rows.filter((r) => r.tool.startsWith('cwltool') && r.n === hi);
  if (sf && cwls.length > 0) {
    const fastest = Math.min(...cwls.map((r) => r.seconds));
    out.push('', `N=${hi}: sealflow (scatter) is ${(fastest / sf.seconds).toFixed(1)}x faster than cwltool's fastest form`);
  }
}
process.stdout.write(`${out.join('\n')}\n`);
