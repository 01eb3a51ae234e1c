/**
 * Timing helpers for bench/encryption: one command under GNU time (wall
 * seconds, CPU seconds, peak RSS), and summaries of repeated runs.
 */
import { spawnSync } from 'node:child_process';

export interface Measure {
  readonly seconds: number;
  /** User + system CPU seconds: less sensitive than wall time to other load on the machine. */
  readonly cpu: number;
  readonly rssMiB: number;
}

/**
 * Runs `cmd args` under GNU time (peak RSS, CPU); wall time from our own
 * clock around it (GNU time prints only hundredths of a second).
 */
export function timed(cmd: string, args: readonly string[], stdoutFd: number | 'ignore' = 'ignore'): Measure {
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', cmd, ...args], {
    stdio: ['ignore', stdoutFd, 'pipe'],
    encoding: 'utf8',
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [, kb, user, sys] = last.split(' ').map(Number);
  return { seconds, cpu: user! + sys!, rssMiB: kb! / 1024 };
}

/** Like `timed`, through `sh -c` (for redirections such as `cat f > g`). */
export function timedShell(script: string): Measure {
  return timed('sh', ['-c', script]);
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export interface Summary {
  /** Median and best (smallest) wall seconds. */
  readonly median: number;
  readonly best: number;
  readonly cpu: number;
  readonly rssMiB: number;
}

export function summarize(ms: readonly Measure[]): Summary {
  return {
    median: median(ms.map((m) => m.seconds)),
    best: Math.min(...ms.map((m) => m.seconds)),
    cpu: median(ms.map((m) => m.cpu)),
    rssMiB: Math.max(...ms.map((m) => m.rssMiB)),
  };
}

export function loadavg(): string {
  return spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.split(' ').slice(0, 3).join(' ');
}
