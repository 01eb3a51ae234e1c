/**
 * A worker's `started` report (docs/protocol.md §1.3, §16.5): the process
 * group its command leads, which the master SIGKILLs if the worker dies
 * (`reapGroups`). A compromised worker could name the master's own group,
 * or any group of the user's, and have the master kill it. So the master
 * keeps a reported group only when it is what the worker says: an integer
 * ≥ 2, not the master's own group, and — where /proc shows it — a group
 * whose leader is alive, leads that group, and descends from the worker's
 * process. A group that cannot be shown (its leader already exited, or its
 * pid now belongs to another process) is not kept: nothing of it is ever
 * killed. Only what no honest worker can report (a malformed id, the
 * master's own group) is a forgery that revokes the worker: a pid can be
 * reused between the report and the check, so a foreign group proves
 * nothing about the worker.
 */
import { readFileSync } from 'node:fs';
import { ReportRefusal } from './output-rules.js';

/**
 * pid, parent pid and process group of a live process from /proc, or null (gone, or no /proc).
 * Synchronous: a /proc file never blocks, and the promise API cost four thread-pool round trips per read
 * (two reads per `started` report, docs/protocol.md §10.4).
 */
async function procStat(pid: number): Promise<{ ppid: number; pgrp: number } | null> {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp ..." — comm may hold spaces and parentheses: split after the last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), pgrp: Number(f[2]) };
  } catch {
    return null;
  }
}

let masterGroup: Promise<number> | undefined;
const ownGroup = (): Promise<number> => (masterGroup ??= procStat(process.pid).then((s) => s?.pgrp ?? process.pid));

/** At most this many parents are followed from the group's leader up to the worker. */
const MAX_DEPTH = 32;

/**
 * Whether to keep the reported `pgid` for reaping (true), or to drop it
 * unverified (false: its leader is gone, or the worker's pid is unknown on a
 * system without /proc). Throws ReportRefusal for a forgery.
 */
export async function keepStartedGroup(pgid: unknown, workerPid: number | undefined): Promise<boolean> {
  if (typeof pgid !== 'number' || !Number.isSafeInteger(pgid) || pgid < 2) throw new ReportRefusal('started-bad-group', `the reported process group ${JSON.stringify(pgid)} is not a process group id`);
  if (pgid === process.pid || pgid === (await ownGroup())) throw new ReportRefusal('started-foreign-group', `the reported process group ${pgid} is the master's own`);
  const leader = await procStat(pgid);
  if (leader === null) return false;
  // What /proc shows now need not be the process the worker started: a short command may have exited and its
  // pid been taken by another process (pids wrap; the master may read this long after the command ended). Such
  // a group is not shown to be the worker's, so it is not kept (never killed) — but it proves no forgery either.
  if (leader.pgrp !== pgid) return false;
  if (workerPid === undefined) return true;
  let p = leader.ppid;
  for (let i = 0; i < MAX_DEPTH && p > 1; i++) {
    if (p === workerPid) return true;
    const s = await procStat(p);
    if (s === null) return false; // an ancestor exited mid-walk: not shown, not kept
    p = s.ppid;
  }
  if ((await procStat(workerPid)) === null) return false; // the worker is gone: its children were re-parented
  return false; // not the worker's (or no longer: a reused pid): never killed
}

/**
 * A group reported by a worker on another host (§16.5): its pids are that
 * host's, so the master's /proc and its own group say nothing about it.
 * Kept if it is a process group id; the connector kills it on that host,
 * as the user the worker already runs as (no capability it lacks).
 */
export async function keepRemoteGroup(pgid: unknown): Promise<boolean> {
  if (typeof pgid !== 'number' || !Number.isSafeInteger(pgid) || pgid < 2) throw new ReportRefusal('started-bad-group', `the reported process group ${JSON.stringify(pgid)} is not a process group id`);
  return true;
}
