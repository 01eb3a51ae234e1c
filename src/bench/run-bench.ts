/**
 * `sealflow bench`: for each planned case (example × size × threads), the
 * native baseline and every runnable sealflow configuration, N runs each,
 * interleaved (run i of every configuration before run i+1 of any) so that a
 * change in machine load hits all configurations alike.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLES } from '../../examples/catalog.js';
import { launchPlatform, planMatrix, type Capabilities, type Configuration } from './matrix.js';
import { measure, type Measurement } from './measure.js';
import { flowWithThreads, runConfigFor } from './flows.js';
import { planCases, type PlanOptions } from './plan.js';
import type { BenchProgress } from './progress.js';
import type { BenchResults, CaseResult, ConfigResult } from './results.js';
import { summarize } from './stats.js';
import { ensureLocalMaster, ownerIdentityFile } from '../master/local-master.js';
import { writeIdentityFile } from '../crypto/keyfile.js';
import { X25519Identity } from '../crypto/x25519.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(HERE, '..', 'cli', 'main.js');
const NATIVE_CHILD = path.join(HERE, 'native-child.js');

export const METHOD =
  'Wall: spawn to exit of the whole command (node start included, for native and sealflow alike). ' +
  'CPU and "max process RSS": GNU /usr/bin/time (rusage of the command and every descendant it waited for; RSS is the largest single process, exact). ' +
  '"Tree peak RSS": the sum of RSS over the live process tree (CLI, workers, commands), sampled from /proc every 100 ms; shared pages count once per process, so it is an upper bound, and processes shorter than 100 ms may be missed.';

export interface BenchOptions extends PlanOptions {
  readonly runs: number;
  readonly workDir: string;
  readonly command: string;
  readonly progress: BenchProgress;
  /** What this machine and build offer (`detectCapabilities`, with the CLI's probe of `sealflow run`). */
  readonly capabilities: Capabilities;
  /** Called with the results so far after each run (for a checkpoint a killed run leaves behind). */
  readonly afterCase?: (partial: BenchResults) => Promise<void>;
}

const fmtS = (s: number) => `${s.toFixed(2)} s`;
const fmtMiB = (kib: number | null) => (kib === null ? '?' : `${(kib / 1024).toFixed(0)} MiB`);

function summarizeConfig(r: ConfigResult): void {
  const ok = r.runs.filter((m) => m.ok);
  const failed = r.runs.find((m) => !m.ok);
  if (failed?.error !== undefined) r.failed = failed.error;
  if (ok.length === 0) return;
  r.wall = summarize(ok.map((m) => m.wallS));
  const cpu = ok.map((m) => m.cpuS).filter((v): v is number => v !== null);
  if (cpu.length > 0) r.cpu = summarize(cpu);
  const rss = ok.map((m) => m.maxProcessRssKiB).filter((v): v is number => v !== null);
  if (rss.length > 0) r.maxProcessRssKiB = summarize(rss);
  r.treePeakRssKiB = summarize(ok.map((m) => m.treePeakRssKiB));
}

/** Summaries and overheads of a case from the runs so far (again after every run, for the checkpoint). */
function summarizeCase(cr: CaseResult): void {
  for (const r of cr.configs) summarizeConfig(r);
  const native = cr.configs.find((r) => r.id === 'native')?.wall?.median;
  for (const r of cr.configs) if (native !== undefined && r.wall !== undefined) r.overhead = r.wall.median / native;
}

/** Where a sealflow configuration's run puts its results, under its scratch directory. */
export const outDirOf = (scratch: string) => path.join(scratch, 'out');

/**
 * The isolated $SEALFLOW_HOME of one bench invocation (under its scratch root):
 * the development master (signs receipts) and the owner identity (sim results
 * are encrypted to it) live there, never in the user's ~/.sealflow. Created
 * before anything is measured, so no run pays for key generation.
 */
export async function prepareBenchHome(home: string): Promise<{ home: string; ownerIdentity: string; env: NodeJS.ProcessEnv }> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const env: NodeJS.ProcessEnv = { ...process.env, SEALFLOW_HOME: home };
  delete env['SEALFLOW_MASTER_PASSPHRASE']; // the fresh development master has plaintext keys
  await ensureLocalMaster({ env, passphrase: async () => undefined, warn: () => {} });
  const ownerIdentity = ownerIdentityFile(env);
  if (!existsSync(ownerIdentity)) await writeIdentityFile(ownerIdentity, X25519Identity.generate());
  return { home, ownerIdentity, env };
}

/** The command line of one configuration's run (`scratch` holds its state, outputs and native inputs). */
export async function commandFor(c: Configuration, ex: string, inputs: Record<string, string>, threads: number | null, caps: Capabilities, scratch: string, workDir: string): Promise<string[]> {
  const spec = EXAMPLES[ex]!;
  if (c.kind === 'native') {
    const file = path.join(scratch, 'inputs.json');
    await writeFile(file, JSON.stringify(inputs));
    return [process.execPath, NATIVE_CHILD, ex, file, String(threads ?? os.availableParallelism()), scratch];
  }
  const flowDir = threads === null ? spec.dir : await flowWithThreads(spec.dir, threads, workDir);
  const argv = [process.execPath, CLI, 'run', flowDir, '--state-dir', path.join(scratch, 'state'), '--out', outDirOf(scratch), '--quiet'];
  for (const [k, v] of Object.entries(inputs)) argv.push('--input', `${k}=${v}`);
  const platform = launchPlatform(c);
  if (platform !== 'hybrid' && caps.runPlatformOption.has(platform)) argv.push('--platform', platform);
  else if (platform !== 'none') argv.push('--config', await runConfigFor(platform, os.availableParallelism(), workDir));
  // planMatrix ran only configurations this build supports: where runs encrypt by default, plain ones say so.
  if (!c.encryption && caps.noEncryptOption) argv.push('--no-encrypt');
  return argv;
}

export async function runBench(o: BenchOptions): Promise<BenchResults> {
  const caps = o.capabilities;
  const planned = planMatrix(caps);
  const runnable = planned.filter((p) => p.notRun === null).map((p) => p.config);
  const cases = planCases(o);
  const cpuModel = os.cpus()[0]?.model ?? 'unknown';
  const results: BenchResults = {
    version: 1,
    command: o.command,
    startedAt: new Date().toISOString(),
    finishedAt: '',
    machine: { cores: os.availableParallelism(), cpu: cpuModel, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAvgStart: os.loadavg().map((x) => +x.toFixed(2)), loadAvgEnd: [] },
    runsPerConfig: o.runs,
    method: METHOD,
    capabilities: { hardware: caps.hardware, platforms: [...caps.platforms], runPlatformOption: [...caps.runPlatformOption], encrypting: [...caps.encrypting], plain: [...caps.plain], noEncryptOption: caps.noEncryptOption },
    matrix: planned.map((p) => ({ ...p.config, notRun: p.notRun })),
    cases: [],
  };
  for (const p of planned) if (p.notRun !== null) o.progress.line(`${p.config.id}: ${p.notRun}`);
  const total = cases.length * runnable.length * o.runs;
  let done = 0;
  const dataDir = path.join(o.workDir, 'data');
  const scratchRoot = path.join(o.workDir, `scratch-${process.pid}`);
  try {
    const home = await prepareBenchHome(path.join(scratchRoot, 'home'));
    if (runnable.some((c) => c.kind === 'sealflow')) o.progress.line(`sealflow runs use SEALFLOW_HOME=${home.home} (a development master and owner identity for this invocation, removed at the end)`);
    for (const c of cases) {
      const tag = `${c.example} ${c.size}${c.threads !== null ? ` -p ${c.threads}` : ''}`;
      const cr: CaseResult = { example: c.example, size: c.size, threads: c.threads, configs: runnable.map((r) => ({ id: r.id, runs: [] })) };
      results.cases.push(cr);
      let inputs: Record<string, string>;
      try {
        o.progress.current(`preparing ${c.example} ${c.size}`);
        const t0 = performance.now();
        inputs = await EXAMPLES[c.example]!.prepare(c.size, dataDir);
        const took = (performance.now() - t0) / 1000;
        if (took >= 1) o.progress.line(`${c.example} ${c.size}: inputs generated in ${took.toFixed(1)} s (kept in ${dataDir})`);
      } catch (e) {
        cr.prepareError = e instanceof Error ? e.message : String(e);
        o.progress.line(`${tag}: inputs could not be prepared: ${cr.prepareError}`);
        done += runnable.length * o.runs;
        continue;
      }
      for (let i = 1; i <= o.runs; i++) {
        for (const [k, conf] of runnable.entries()) {
          const scratch = path.join(scratchRoot, `${conf.id}-${i}`);
          await mkdir(scratch, { recursive: true });
          o.progress.current(`[${done + 1}/${total}] ${tag} ${conf.id} run ${i}/${o.runs}`);
          let m: Measurement;
          try {
            m = await measure(await commandFor(conf, c.example, inputs, c.threads, caps, scratch, o.workDir), { cwd: scratch, env: home.env });
          } finally {
            await rm(scratch, { recursive: true, force: true });
          }
          cr.configs[k]!.runs.push(m);
          summarizeCase(cr);
          await o.afterCase?.({ ...results, finishedAt: new Date().toISOString(), machine: { ...results.machine, loadAvgEnd: os.loadavg().map((x) => +x.toFixed(2)) } });
          done++;
          o.progress.line(`[${done}/${total}] ${tag} ${conf.id} run ${i}/${o.runs}: ${m.ok ? `${fmtS(m.wallS)}, max process ${fmtMiB(m.maxProcessRssKiB)}, tree peak ${fmtMiB(m.treePeakRssKiB)}` : `FAILED: ${m.error?.split('\n').slice(0, 3).join(' | ')}`}`);
        }
      }
    }
  } finally {
    o.progress.current(null);
    await rm(scratchRoot, { recursive: true, force: true });
  }
  results.finishedAt = new Date().toISOString();
  results.machine.loadAvgEnd = os.loadavg().map((x) => +x.toFixed(2));
  return results;
}
