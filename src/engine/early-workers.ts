/**
 * A plain run's workers — every deployment it uses plain (platform `none`,
 * not encrypted: `--no-encrypt` on local deployments) — need no master to
 * start. `sealflow run` starts them as soon as the run has passed every check,
 * from modules its checks already loaded, so that their start (a Node process
 * each) overlaps the loading of the engine, the run's master and the signing
 * key instead of following them.
 */
import os from 'node:os';
import type { PlannedRun } from './run-workflow.js';
import { usedDeployments } from './placement.js';
import { newRunId } from './run-dir.js';
import { WorkerPool } from './workers.js';

/** Workers started before the run's master (`runWorkflow` takes them over), and the id of their run. */
export interface EarlyWorkers {
  readonly runId: string;
  readonly workers: Promise<WorkerPool>;
}

/** Starts the workers of a plain run (a fresh one, or `resume`); null if the run uses a deployment that is not plain. */
export function startPlainWorkersEarly(plan: Pick<PlannedRun, 'workflow' | 'deployments' | 'placement'>, resume?: string): EarlyWorkers | null {
  const used = usedDeployments(plan.workflow, plan.deployments, plan.placement);
  if (used.length === 0 || !used.every((d) => WorkerPool.isPlain(d))) return null;
  WorkerPool.check(used); // throws InputError now, before any process starts
  const runId = resume ?? newRunId();
  const workers = WorkerPool.start({ runId, plain: true }, os.tmpdir(), used);
  workers.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection meanwhile
  return { runId, workers };
}

/** Stops workers that were started early for a run that does not go ahead. */
export function abandonEarlyWorkers(early: EarlyWorkers | null): void {
  early?.workers.then((pool) => pool.killAll(), () => undefined);
}
