/**
 * What the Slurm tests ask about jobs on a test cluster (slurm-cluster.ts):
 * which jobs squeue still holds, a job's state as the connector's transport
 * watches it, and where Slurm keeps its stored copy of a job.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { JobState, SlurmCluster as SlurmTransport } from '../../src/connectors/slurm/index.js';
import type { SlurmCluster } from './slurm-cluster.js';
import { PATIENCE_MS } from './wait.js';

/** Jobs squeue still lists as pending or holding a node (COMPLETING: cancelled, Slurm is ending its processes), one `id STATE` a line: none may be left of a run. */
export async function jobsLeft(cluster: SlurmCluster): Promise<string> {
  return (await cluster.cmd('squeue', ['-h', '-o', '%i %T']))
    .split('\n')
    .filter((l) => l.trim() !== '' && !/ COMPLETING$/.test(l))
    .join('\n');
}

/** Slurm's stored copy of job `id` (StateSaveLocation/hash.<id % 10>/job.<id>/: its `script` and `environment`). */
export function storedJob(stateDir: string, id: string): string {
  return path.join(stateDir, `hash.${Number(id) % 10}`, `job.${id}`);
}

/** Watches job `id` through `t` until `want` holds for its state (fails the test after PATIENCE_MS); that state. */
export async function waitJobState(t: SlurmTransport, id: string, want: (s: JobState) => boolean): Promise<JobState> {
  let hit: JobState | undefined;
  const w = t.watch([id], (_, s) => {
    if (want(s)) {
      hit = s;
      w.stop();
    }
  }, { intervalMs: 100, maxIntervalMs: 500 });
  const timer = setTimeout(() => w.stop(), PATIENCE_MS);
  await w.done;
  clearTimeout(timer);
  assert.ok(hit, `job ${id}: the awaited state did not come within ${PATIENCE_MS} ms`);
  return hit;
}
