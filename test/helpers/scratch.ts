/**
 * Finding an attempt's scratch in tests: in the run directory for
 * unencrypted runs, in its worker's own directory outside it for encrypted
 * ones (`<base>/sealflow-scratch-<uid>/<run>/<pid>/<step>.<i>.<attempt>`,
 * docs/protocol.md §10.8). The base is the one this process would choose,
 * which is the run's as long as the test does not give the run another
 * `SEALFLOW_SCRATCH_DIR`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runScratchDir } from '../../src/protocol/scratch.js';
import { filesUnder } from './files.js';

/** The scratch roots of a run: its run directory's, and its workers' directories. */
function roots(stateDir: string, runId: string): string[] {
  const workers = runScratchDir(runId);
  const own = fs.existsSync(workers) ? fs.readdirSync(workers).map((pid) => path.join(workers, pid)) : [];
  return [path.join(stateDir, 'runs', runId, 'scratch'), ...own];
}

/** `<attempt>/<rel>` (attempt `step.i.n`) wherever the run keeps it, or null while it does not exist. */
export function attemptFile(stateDir: string, runId: string, attempt: string, rel = ''): string | null {
  for (const r of roots(stateDir, runId)) {
    const p = path.join(r, attempt, rel);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

/** Every file left in the run's scratch (both places). */
export function scratchFilesOf(stateDir: string, runId: string): string[] {
  return roots(stateDir, runId).flatMap((r) => (fs.existsSync(r) ? filesUnder(r) : []));
}
