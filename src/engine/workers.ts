/**
 * The master's view of its workers: starts each used deployment's workers
 * through its connector and platform, assigns attempts to the least-loaded
 * live worker of a deployment, routes results back, and notices workers that
 * die with attempts in flight.
 */
import { fileURLToPath } from 'node:url';
import { connectorByName } from '../connectors/index.js';
import type { ConnectorName, WorkerHandle } from '../connectors/connector.js';
import { InputError, OperationError } from '../errors.js';
import { dispatch, type Handlers } from '../protocol/dispatch.js';
import type { AssignMsg, CancelledMsg, FailedMsg, SucceededMsg, WorkerToMaster } from '../protocol/execution.js';
import { platformByName } from '../tee/index.js';
import { startAttested } from './attested/start.js';
import type { PlatformName } from '../tee/platform.js';

/** A deployment as the engine needs it (compiled from the run configuration). */
export interface EngineDeployment {
  readonly id: string;
  readonly connector: ConnectorName;
  readonly platform: PlatformName;
  readonly workers: number;
  readonly options: Readonly<Record<string, unknown>>;
}

export type AttemptResultMsg = SucceededMsg | FailedMsg | CancelledMsg;

export interface PoolEvents {
  onWorkerStarted(w: WorkerHandle, d: EngineDeployment): void;
  onResult(msg: AttemptResultMsg): void;
  /** A worker went away; its attempts in flight are lost. */
  onWorkerLost(w: WorkerHandle, lostAttempts: readonly string[]): void;
}

const EXECUTOR = fileURLToPath(new URL('../worker/executor/main.js', import.meta.url));
const SHUTDOWN_GRACE_MS = 5000;

interface Live {
  readonly handle: WorkerHandle;
  readonly deployment: string;
  /** Attempt id -> process group of its command (0 until `started`). */
  readonly inFlight: Map<string, number>;
  alive: boolean;
  /** Resolves when the channel has closed (every message the worker sent has been read). */
  readonly closed: Promise<void>;
}

export class WorkerPool {
  private readonly workers: Live[] = [];
  private stopping = false;
  private events: PoolEvents | null = null;
  /** What happened before `attach` (workers starting while the run is still being validated). */
  private queued: ((e: PoolEvents) => void)[] = [];

  private constructor() {}

  private emit(f: (e: PoolEvents) => void): void {
    if (this.events) f(this.events);
    else this.queued.push(f);
  }

  /** Connects the pool to a run; replays what happened before. */
  attach(events: PoolEvents): void {
    this.events = events;
    const q = this.queued;
    this.queued = [];
    for (const f of q) f(events);
  }

  /** Checks that every deployment's connector and platform exist in this build, before anything starts. */
  static check(deployments: readonly EngineDeployment[]): void {
    for (const d of deployments) {
      if (!connectorByName(d.connector)) throw new InputError(`deployment ${d.id}: connector ${d.connector} is not available in this version (available: local)`);
      if (!platformByName(d.platform)) throw new InputError(`deployment ${d.id}: platform ${d.platform} is not available in this version (available: none, sim)`);
    }
  }

  /**
   * Starts the workers of the given deployments. May begin while the run is
   * still being validated (workers start in parallel with it); nothing is
   * assigned before `attach`.
   */
  static async start(runId: string, workDir: string, deployments: readonly EngineDeployment[]): Promise<WorkerPool> {
    WorkerPool.check(deployments);
    const pool = new WorkerPool();
    const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };
    if (process.env['HOME']) env['HOME'] = process.env['HOME'];
    if (process.env['SEALFLOW_DEBUG']) env['SEALFLOW_DEBUG'] = process.env['SEALFLOW_DEBUG'];
    try {
      const started = await Promise.all(
        deployments.map(async (d) => {
          const connector = connectorByName(d.connector) as NonNullable<ReturnType<typeof connectorByName>>;
          const platform = platformByName(d.platform) as NonNullable<ReturnType<typeof platformByName>>;
          // Platforms with evidence are provisioned through WCPAC (src/engine/attested/).
          if (platform.evidence !== null) return (await startAttested(runId, d, Math.max(1, d.workers), env)).map((h) => ({ h, d }));
          const handles = await connector.start({
            runId,
            deployment: d.id,
            count: Math.max(1, d.workers),
            platform,
            program: { entry: EXECUTOR, files: [], args: [] },
            options: d.options,
            env,
            workDir,
          });
          return handles.map((h) => ({ h, d }));
        }),
      );
      for (const { h, d } of started.flat()) pool.adopt(h, d);
    } catch (e) {
      pool.killAll();
      throw new OperationError(`could not start workers: ${e instanceof Error ? e.message : String(e)}`);
    }
    return pool;
  }

  private adopt(handle: WorkerHandle, d: EngineDeployment): void {
    const live: Live = { handle, deployment: d.id, inFlight: new Map(), alive: true, closed: new Promise((r) => handle.channel.onClose(() => r())) };
    this.workers.push(live);
    const handlers: Handlers<WorkerToMaster> = {
      ready: () => undefined,
      started: (m) => {
        if (live.inFlight.has(m.id)) live.inFlight.set(m.id, m.pgid);
      },
      succeeded: (m) => this.result(live, m),
      failed: (m) => this.result(live, m),
      cancelled: (m) => this.result(live, m),
    };
    handle.channel.onMessage((m) => dispatch(handlers, m, () => this.lose(live)));
    handle.channel.onClose(() => this.lose(live));
    void handle.exited.then(() => this.lose(live));
    this.emit((e) => e.onWorkerStarted(handle, d));
  }

  private result(live: Live, m: AttemptResultMsg): void {
    if (!live.inFlight.delete(m.id)) return;
    this.emit((e) => e.onResult(m));
  }

  private lose(live: Live): void {
    if (!live.alive) return;
    live.alive = false;
    const lost = [...live.inFlight.keys()];
    // A worker that lost its channel is of no further use.
    if (!this.stopping) live.handle.kill();
    // Whatever it was running must not outlive it: once it is gone and its last messages are read
    // (a `started` can arrive after the exit is noticed), stop the process groups it reported.
    void Promise.all([live.handle.exited, live.closed]).then(() => {
      const groups = [...live.inFlight.values()].filter((g) => g > 0);
      live.inFlight.clear();
      if (groups.length > 0) live.handle.reap(groups);
    });
    if (!this.stopping || lost.length > 0) this.emit((e) => e.onWorkerLost(live.handle, lost));
  }

  /** Sends the attempt to the least-loaded live worker of the deployment; returns it, or null if none is alive. */
  assign(deployment: string, msg: AssignMsg): WorkerHandle | null {
    let best: Live | null = null;
    for (const w of this.workers) {
      if (!w.alive || w.deployment !== deployment) continue;
      if (!best || w.inFlight.size < best.inFlight.size) best = w;
    }
    if (!best) return null;
    best.inFlight.set(msg.id, 0);
    best.handle.channel.send(msg);
    return best.handle;
  }

  cancel(id: string): void {
    for (const w of this.workers) if (w.inFlight.has(id)) w.handle.channel.send({ type: 'cancel', id });
  }

  /** Asks every worker to exit; kills those still there after a grace period. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    for (const w of this.workers) if (w.alive) w.handle.channel.send({ type: 'shutdown' });
    const all = Promise.all(this.workers.map((w) => w.handle.exited));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, SHUTDOWN_GRACE_MS)))]);
    if (timer) clearTimeout(timer);
    this.killAll();
  }

  killAll(): void {
    this.stopping = true;
    for (const w of this.workers) w.handle.kill();
  }
}
