/**
 * Removes the scratch of workers whose processes are gone (docs/protocol.md
 * §10.8). A worker that is SIGKILLed together with its master cannot wipe
 * its decrypted inputs and plaintext outputs; the next `sealflow` command
 * that opens a state directory does (run-dir.ts calls this once per
 * process). A worker directory is removed when its owner process is not
 * alive or its pid now belongs to another process (start time differs);
 * the scratch of live workers — of this run or of any other — is left alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ownerAlive, readScratchOwner, scratchCandidates, type ScratchBase } from '../protocol/scratch.js';

function dirsIn(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.join(dir, e.name));
  } catch {
    return [];
  }
}

/** Whether the worker directory `dir` (named by its pid) belongs to a process that is gone. */
function orphaned(dir: string): boolean {
  const owner = readScratchOwner(dir);
  if (owner) return !ownerAlive(owner);
  // No marker (the worker died between creating its directory and marking it, or it is not a worker's): the name's pid.
  const pid = Number(path.basename(dir));
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  return !ownerAlive({ pid });
}

/** Sweeps the given bases (default: every base this user's workers may use); returns the worker directories removed. */
export function sweepOrphanScratch(bases: readonly ScratchBase[] = scratchCandidates()): string[] {
  const removed: string[] = [];
  for (const base of bases) {
    const st = fs.lstatSync(base.dir, { throwIfNoEntry: false });
    // Only a real directory of this user: never follow a link someone else planted.
    if (!st?.isDirectory() || (typeof process.getuid === 'function' && st.uid !== process.getuid())) continue;
    for (const run of dirsIn(base.dir)) {
      for (const worker of dirsIn(run)) {
        if (!orphaned(worker)) continue;
        fs.rmSync(worker, { recursive: true, force: true, maxRetries: 3 });
        removed.push(worker);
      }
      try {
        fs.rmdirSync(run); // only if now empty
      } catch {
        /* live workers' directories remain */
      }
    }
  }
  return removed;
}

let swept = false;

/** Sweeps once per process (the first time a state directory is opened); never throws. */
export function sweepOrphanScratchOnce(): void {
  if (swept) return;
  swept = true;
  try {
    sweepOrphanScratch();
  } catch (e) {
    process.stderr.write(`sealflow: could not remove the scratch of dead workers: ${e instanceof Error ? e.message : String(e)}\n`);
  }
}
