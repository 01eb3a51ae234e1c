/**
 * Stopping what a worker started. Workers are spawned `detached`, so each
 * leads its own process group; a worker's commands lead groups of their own
 * (reported to the master in `started`), so they can be reaped after the
 * worker itself died (docs/protocol.md §1, §12).
 */
import type { ChildProcess } from 'node:child_process';

/** SIGKILL a worker and its process group, unless it has exited already. */
export function killWorkerGroup(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** SIGKILL each process group (those already gone are ignored). */
export function reapGroups(pgids: readonly number[]): void {
  for (const g of pgids) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
