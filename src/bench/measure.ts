/**
 * Runs one command and measures it: wall time from spawn to exit, CPU time
 * and the largest single-process peak RSS of the whole process tree (GNU
 * `/usr/bin/time`, from the kernel's rusage of waited-for children — exact,
 * but the maximum of one process, not a sum), and the peak of the tree's
 * summed RSS (sampled from /proc every 100 ms, see proc-tree.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TreeSampler } from './proc-tree.js';

export const GNU_TIME = '/usr/bin/time';

export interface Measurement {
  readonly ok: boolean;
  readonly wallS: number;
  /** User + system CPU seconds of the tree (null without GNU time). */
  readonly cpuS: number | null;
  /** Largest peak RSS of any one process in the tree, KiB (null without GNU time). */
  readonly maxProcessRssKiB: number | null;
  /** Peak of the sum of RSS over the live tree, KiB, sampled. */
  readonly treePeakRssKiB: number;
  readonly treePeakProcesses: number;
  /** Why it failed, with the tail of its stderr. */
  readonly error?: string;
}

export interface MeasureOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly sampleMs?: number;
}

export async function measure(argv: readonly string[], opts: MeasureOptions): Promise<Measurement> {
  const useTime = existsSync(GNU_TIME);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'sealflow-bench-time-'));
  const timeFile = path.join(tmp, 'time.txt');
  const full = useTime ? [GNU_TIME, '-o', timeFile, '-f', '%U %S %M', ...argv] : [...argv];
  const [cmd, ...args] = full as [string, ...string[]];
  const t0 = performance.now();
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
  const sampler = child.pid !== undefined ? new TreeSampler(child.pid, opts.sampleMs ?? 100) : undefined;
  sampler?.start();
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-3000);
  });
  const { code, signal, spawnError } = await new Promise<{ code: number | null; signal: string | null; spawnError?: string }>((resolve) => {
    child.on('error', (e) => resolve({ code: null, signal: null, spawnError: e.message }));
    child.on('close', (c, s) => resolve({ code: c, signal: s }));
  });
  const wallS = (performance.now() - t0) / 1000;
  sampler?.stop();
  let cpuS: number | null = null;
  let maxProcessRssKiB: number | null = null;
  if (useTime) {
    const fields = (await readFile(timeFile, 'utf8').catch(() => '')).trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
    if (fields.length === 3 && fields.every(Number.isFinite)) {
      cpuS = (fields[0] as number) + (fields[1] as number);
      maxProcessRssKiB = fields[2] as number;
    }
    // GNU time prints "Command exited with non-zero status N" into its -o file, before the fields.
  }
  await rm(tmp, { recursive: true, force: true });
  const ok = code === 0;
  const tail = stderr.trim().split('\n').slice(-6).join('\n');
  return {
    ok, wallS, cpuS, maxProcessRssKiB,
    treePeakRssKiB: sampler?.peakKiB ?? 0,
    treePeakProcesses: sampler?.peakProcesses ?? 0,
    ...(ok ? {} : { error: spawnError ?? `${argv.join(' ').slice(0, 200)}: ${signal ?? `exit ${code}`}${tail ? `\n${tail}` : ''}` }),
  };
}
