/**
 * What an attempt used (docs/report.md "Resource usage"): CPU time, peak
 * resident memory and the most threads seen, reported by the worker on its
 * result (docs/protocol.md §1.3 `usage`). Node has no wait4/rusage for its
 * children, so a command's process group is sampled from /proc; a
 * TypeScript task gets the executor's own counters. Linux only: elsewhere
 * (no /proc) nothing is measured and the result carries no `usage`.
 *
 * Reusable by any executor path that runs a process group (`measureGroup`).
 */
import fs from 'node:fs';
import { USAGE_LIMITS, type Usage } from '../../protocol/execution.js';

/** How often a running group is sampled. A process that lives less than this between two samples may be missed. */
export const SAMPLE_INTERVAL_MS = 100;

/** When the first sample is taken after the start: a process that just exec'd is costly to read, one that already ended is not. */
const FIRST_SAMPLE_MS = 10;

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every Linux architecture Node runs on). */
const CLOCK_TICKS_PER_S = 100;
const TICK_MS = 1000 / CLOCK_TICKS_PER_S;

/** One process as /proc shows it: its group, own CPU ticks, the ticks of its reaped children, RSS now, peak RSS, threads. */
interface ProcSample {
  /** A zombie (exited, not yet waited for): its CPU times are final, it has no memory or threads left. */
  readonly zombie: boolean;
  readonly pgrp: number;
  readonly ownTicks: number;
  readonly reapedTicks: number;
  readonly rssKiB: number;
  readonly hwmKiB: number;
  readonly threads: number;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return undefined; // gone (exited and reaped) or not Linux
  }
}

/** proc(5): fields after `(comm)` — state is field 3, pgrp 5, utime 14, stime 15, cutime 16, cstime 17. */
function parseStat(text: string): { zombie: boolean; pgrp: number; ownTicks: number; reapedTicks: number } | undefined {
  const close = text.lastIndexOf(')'); // comm may contain spaces and parentheses
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' '); // f[0] is field 3
  const n = (field: number) => Number(f[field - 3]);
  const r = { zombie: f[0] === 'Z', pgrp: n(5), ownTicks: n(14) + n(15), reapedTicks: n(16) + n(17) };
  return Number.isFinite(r.pgrp) && Number.isFinite(r.ownTicks) && Number.isFinite(r.reapedTicks) ? r : undefined;
}

function statusField(text: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

function sampleProcess(pid: number): ProcSample | undefined {
  if (!fs.existsSync(`/proc/${pid}`)) return undefined; // the common case at exit, without the cost of a thrown ENOENT
  const stat = readText(`/proc/${pid}/stat`);
  const status = readText(`/proc/${pid}/status`);
  if (stat === undefined || status === undefined) return undefined;
  const s = parseStat(stat);
  if (!s) return undefined;
  return { ...s, rssKiB: statusField(status, 'VmRSS'), hwmKiB: statusField(status, 'VmHWM'), threads: statusField(status, 'Threads') };
}

/** The children of every thread of `pid` (/proc/<pid>/task/<tid>/children). */
function childrenOf(pid: number): number[] {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tids) {
    const text = readText(`/proc/${pid}/task/${tid}/children`);
    if (text) for (const c of text.split(' ')) if (c.trim() !== '') out.push(Number(c));
  }
  return out;
}

export interface Measurement {
  /** Takes a last sample (where anything is left to see) and returns what was measured; undefined without /proc. */
  stop(): Usage | undefined;
}

/**
 * The executor's own CPU ticks spent by children it has reaped (cutime + cstime), or undefined without /proc.
 * Read from this thread's stat: cutime and cstime are the process's, and the kernel does not sum every thread's times for it.
 */
function selfReapedTicks(): number | undefined {
  const t = readText('/proc/thread-self/stat');
  return t === undefined ? undefined : parseStat(t)?.reapedTicks;
}

/** Process groups being measured now: the executor's reaped-children counter is attributable only to a group measured alone. */
let measuring = 0;
/** Bumped whenever a measured group starts or ends: a group that saw no bump but its own start ran alone. */
let generation = 0;

/** One look at a process group: sums over its processes, and the largest single VmHWM. */
export interface GroupSample {
  /** Processes of the group found (zombies included). */
  readonly processes: number;
  /** Of them, those still running (not zombies): only they have memory and threads to report. */
  readonly live: number;
  /** Own + waited-for-children CPU ticks, summed. */
  readonly ticks: number;
  readonly rssKiB: number;
  readonly hwmKiB: number;
  readonly threads: number;
}

/**
 * Reads the group `pgid` from /proc once, walking down from every process in
 * `known` (the leader may have exited while its children run on); `known`
 * is updated to the processes found in the group.
 */
export function sampleGroup(pgid: number, known: Set<number>): GroupSample {
  const queue = [...known];
  const visited = new Set<number>();
  let processes = 0;
  let live = 0;
  let ticks = 0;
  let rssKiB = 0;
  let hwmKiB = 0;
  let threads = 0;
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    if (visited.has(pid)) continue;
    visited.add(pid);
    const s = sampleProcess(pid);
    if (!s || s.pgrp !== pgid) {
      known.delete(pid); // gone, or a recycled pid now outside the group
      continue;
    }
    processes++;
    known.add(pid);
    ticks += s.ownTicks + s.reapedTicks;
    if (s.zombie) continue;
    live++;
    rssKiB += s.rssKiB;
    threads += s.threads;
    if (s.hwmKiB > hwmKiB) hwmKiB = s.hwmKiB;
    for (const c of childrenOf(pid)) if (!visited.has(c)) queue.push(c);
  }
  return { processes, live, ticks, rssKiB, hwmKiB, threads };
}

/**
 * Samples the process group `pgid` (led by process `pgid`) every
 * SAMPLE_INTERVAL_MS until `stop()`:
 * - CPU time: at each sample, the sum over the group's live processes of
 *   their own CPU time plus that of the children they have reaped; the
 *   largest such sum. When the group was the only one measured during its
 *   life, the executor's own reaped-children time (which the leader's exit
 *   adds, with everything it waited for) is exact, and the larger is taken.
 * - peak memory: the larger of any one process's VmHWM and the largest sum
 *   of VmRSS over one sample.
 * - threads: the largest sum of Threads over one sample.
 * Descendants are found from the leader down; a process that left the group
 * (setsid, setpgid) or was orphaned before a sample saw it is not counted.
 */
export function measureGroup(pgid: number, intervalMs = SAMPLE_INTERVAL_MS): Measurement {
  const known = new Set<number>([pgid]);
  let cpuTicks = 0;
  let peakKiB = 0;
  let threads = 0;
  let seen = false;
  let seenLive = false;
  // The executor's reaped-children time is read only while this group may turn out to have run alone.
  const self0 = measuring === 0 ? selfReapedTicks() : undefined;
  const gen0 = ++generation;
  measuring++;
  const sample = () => {
    const g = sampleGroup(pgid, known);
    if (g.processes > 0) seen = true;
    if (g.live > 0) seenLive = true;
    cpuTicks = Math.max(cpuTicks, g.ticks);
    peakKiB = Math.max(peakKiB, g.hwmKiB, g.rssKiB);
    threads = Math.max(threads, g.threads);
  };
  // The first look a little after the start (a command that is already gone costs almost nothing), then every intervalMs.
  let timer: NodeJS.Timeout = setTimeout(() => {
    sample();
    timer = setInterval(sample, intervalMs);
    timer.unref();
  }, FIRST_SAMPLE_MS);
  timer.unref();
  let result: Usage | undefined;
  let stopped = false;
  return {
    stop() {
      if (stopped) return result;
      stopped = true;
      clearTimeout(timer);
      clearInterval(timer);
      sample();
      const alone = generation === gen0 && measuring === 1; // no other group started, ended or is still running
      measuring--;
      generation++;
      const self1 = alone && self0 !== undefined ? selfReapedTicks() : undefined;
      const exact = self0 !== undefined && self1 !== undefined;
      if (exact) cpuTicks = Math.max(cpuTicks, self1 - self0);
      // A group no sample saw running (it ended first) has no memory or threads to report, only CPU time when that is known.
      if (!seen && !exact) return undefined;
      result = clampUsage(seenLive ? { cpuMs: cpuTicks * TICK_MS, maxRssKiB: peakKiB, threads } : { cpuMs: cpuTicks * TICK_MS });
      return result;
    },
  };
}

/**
 * A TypeScript task: the executor's own CPU time over the task (user +
 * system, from process.cpuUsage()), and the executor's peak resident memory
 * so far (process.resourceUsage().maxRSS, KiB). Tasks that run at the same
 * time in one executor share both: each is charged the others' CPU too.
 * Threads are not reported: the executor's threads are not the task's.
 */
export function measureSelf(): Measurement {
  const cpu0 = process.cpuUsage();
  return {
    stop() {
      const d = process.cpuUsage(cpu0);
      return clampUsage({ cpuMs: (d.user + d.system) / 1000, maxRssKiB: process.resourceUsage().maxRSS });
    },
  };
}

/** The protocol's bounds (execution.ts USAGE_LIMITS): whole numbers, never negative, never past the limit. */
export function clampUsage(u: { cpuMs: number; maxRssKiB?: number; threads?: number }): Usage {
  const c = (x: number, max: number) => Math.min(max, Math.max(0, Math.round(Number.isFinite(x) ? x : 0)));
  return {
    cpuMs: c(u.cpuMs, USAGE_LIMITS.cpuMs),
    ...(u.maxRssKiB !== undefined ? { maxRssKiB: c(u.maxRssKiB, USAGE_LIMITS.maxRssKiB) } : {}),
    ...(u.threads !== undefined ? { threads: c(u.threads, USAGE_LIMITS.threads) } : {}),
  };
}
