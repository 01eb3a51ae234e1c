/**
 * Processes of the test servers (sshd, munged, slurmd…): stopping them and
 * proving none survived. Linux /proc only.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { alive, sleep } from './wait.js';

/** Sends `sig` to each pid, then waits (bounded) until none is left, SIGKILLing stragglers. */
export async function killAndWait(pids: readonly number[], sig: NodeJS.Signals = 'SIGTERM', ms = 5_000): Promise<void> {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      /* gone */
    }
  }
  const end = Date.now() + ms;
  // Zombies of our own children are reaped by node's child handling; others by init.
  while (pids.some((p) => alive(p) && !isZombie(p))) {
    if (Date.now() > end) {
      for (const p of pids) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      break;
    }
    await sleep(20);
  }
}

/** Waits (bounded) until node has seen each child exit, i.e. reaped it: no zombie of ours remains. */
export async function waitExit(children: readonly ChildProcess[], ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (children.some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < end) await sleep(20);
}

export function isZombie(pid: number): boolean {
  try {
    return / Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^\d+ \(.*\) /, ' ').slice(0, 4));
  } catch {
    return false;
  }
}

/** PIDs of processes whose command line contains `needle` (to prove nothing of ours survived). */
export function pidsWithCmdline(needle: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes(needle) && !isZombie(Number(d))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}
