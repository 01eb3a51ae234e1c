/**
 * Timing for bench/speed: one command under GNU time — wall seconds from our
 * own clock, CPU seconds (user + system of the command and every descendant
 * it waited for) from time's rusage — and medians of repeated runs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Timed {
  readonly wall: number;
  readonly cpu: number;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Exit statuses that count as the command working (default [0]). */
  readonly ok?: readonly number[];
}

const TIME_OUT = path.join(os.tmpdir(), `sealflow-speed-time-${process.pid}.txt`);
process.on('exit', () => fs.rmSync(TIME_OUT, { force: true }));

/** Runs `cmd args` once under /usr/bin/time; throws (with the command's stderr) on an unexpected exit status. */
export function timed(cmd: string, args: readonly string[], o: RunOptions = {}): Timed {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', TIME_OUT, cmd, ...args], {
    cwd: o.cwd,
    env: o.env ?? process.env,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (!(o.ok ?? [0]).includes(r.status ?? -1)) throw new Error(`\`${[cmd, ...args].join(' ')}\` exited ${r.status ?? r.signal}: ${r.stderr.slice(-1500)}`);
  const last = fs.readFileSync(TIME_OUT, 'utf8').trim().split('\n').pop() ?? '';
  const [user, sys] = last.split(' ').map(Number);
  if (!Number.isFinite(user) || !Number.isFinite(sys)) throw new Error(`/usr/bin/time gave no CPU times for ${cmd}: ${last}`);
  return { wall, cpu: (user as number) + (sys as number) };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Medians of wall and CPU over runs. */
export function medianOf(runs: readonly Timed[]): Timed {
  return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) };
}

export function loadavg(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}
