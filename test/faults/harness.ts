/** Runs workflows in-process with a handle on the worker pool, so tests can kill or disconnect workers mid-step. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunEvent } from '../../src/engine/events.js';
import { executeRun, runMaster, type RunOutcome } from '../../src/engine/run.js';
import type { MasterSession } from '../../src/master/master-session.js';
import { newRunId } from '../../src/engine/run-dir.js';
import { WorkerPool, type EngineDeployment } from '../../src/engine/workers.js';
import type { HeartbeatSettings } from '../../src/protocol/heartbeat.js';
import type { PortValue, Workflow } from '../../src/workflow/model.js';
import { tmpDir } from '../engine/build.js';
import { PATIENCE_MS } from '../helpers/wait.js';

/** How many times each fault-injection loop runs: 2 in `npm test`, 10 in `npm run test:faults`. */
export const FAULT_RUNS = Math.max(1, Number(process.env['SEALFLOW_FAULT_RUNS'] ?? '2') || 2);

export interface FaultRunOptions {
  readonly workers?: number;
  readonly platform?: 'none' | 'sim';
  /** The deployment's options (e.g. `transfers: direct` to pull worker to worker, docs/protocol.md §15.7). */
  readonly options?: Readonly<Record<string, unknown>>;
  readonly heartbeat?: HeartbeatSettings;
  readonly inputs?: Readonly<Record<string, PortValue>>;
  readonly stateDir?: string;
  readonly concurrency?: number;
  /** Called for every journalled event, with the pool (to find and disturb the worker of a step). */
  readonly onEvent?: (e: RunEvent, pool: WorkerPool, master: MasterSession) => void;
}

export async function faultRun(wf: Workflow, o: FaultRunOptions = {}): Promise<{ outcome: RunOutcome; pool: WorkerPool }> {
  const runId = newRunId();
  const deployments: EngineDeployment[] = [{ id: 'local', connector: 'local', platform: o.platform ?? 'none', workers: o.workers ?? 2, options: o.options ?? {} }];
  const stateDir = o.stateDir ?? tmpDir('sealflow-faults-');
  const master = runMaster(wf, runId, stateDir);
  const pool = await WorkerPool.start(master, os.tmpdir(), deployments, o.heartbeat);
  const outcome = await executeRun({
    workflow: wf,
    inputs: o.inputs ?? {},
    stateDir,
    deployments,
    deploymentFor: () => 'local',
    concurrency: o.concurrency ?? 2,
    keepGoing: false,
    runId,
    workers: Promise.resolve(pool),
    master,
    ...(o.onEvent ? { onEvent: (e: RunEvent) => o.onEvent?.(e, pool, master) } : {}),
  });
  return { outcome, pool };
}

/** The handle of worker `id` among the pool's live workers. */
export function workerOf(pool: WorkerPool, id: string) {
  const w = pool.liveWorkers().find((h) => h.id === id);
  if (!w) throw new Error(`no live worker ${id}`);
  return w;
}

export { PATIENCE_MS, sleep, until } from '../helpers/wait.js';

/**
 * A gate a step can be held at, so that a test disturbs it at a known point
 * instead of racing a step that merely "takes long enough": the step's
 * command waits (`holdAt`) until the gate's file exists; the test creates it
 * with `open()`. As a backstop it opens by itself after `safetyMs`, so that
 * a broken test fails on its assertions instead of hanging.
 */
export interface Gate {
  readonly path: string;
  open(): void;
}

export function gate(dir: string = tmpDir('sealflow-gate-'), safetyMs = 2 * PATIENCE_MS): Gate {
  const file = path.join(dir, `gate-${Math.random().toString(36).slice(2)}`);
  const open = () => {
    clearTimeout(timer);
    try {
      fs.writeFileSync(file, '');
    } catch {
      /* its directory is gone: the test is over */
    }
  };
  const timer = setTimeout(open, safetyMs);
  timer.unref();
  return { path: file, open };
}

/** Shell code that waits until the file named by `ref` (e.g. `"$2"`) exists: where a step holds at a gate. */
export const holdAt = (ref: string) => `while [ ! -e ${ref} ]; do sleep 0.02; done`;
