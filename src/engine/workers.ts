/**
 * The master's view of its workers: starts each used deployment's workers
 * through its connector and platform, assigns attempts to the least-loaded
 * live worker of a deployment, routes results back, and notices workers that
 * die with attempts in flight.
 */
import { CONNECTOR_NAMES, connectorByName, isConnectorName } from '../connectors/index.js';
import type { ConnectorName, LaunchReport, WorkerHandle } from '../connectors/connector.js';
import { InputError, OperationError } from '../errors.js';
import { dispatch, type Handlers } from '../protocol/dispatch.js';
import type { AssignMsg, CancelledMsg, FailedMsg, SucceededMsg, WorkerToMaster } from '../protocol/execution.js';
import { LAUNCHABLE_PLATFORMS, platformByName } from '../tee/index.js';
import { startAll, startAttestedWorkers, startPlainWorker } from './worker-start.js';
import type { MasterSession } from '../master/master-session.js';
import { monitorWorker, type WorkerMonitor } from './heartbeat.js';
import { heartbeatSettings, type HeartbeatSettings } from '../protocol/heartbeat.js';
import type { PlatformName } from '../tee/platform.js';

/** A deployment as the engine needs it (compiled from the run configuration). */
export interface EngineDeployment {
  readonly id: string;
  readonly connector: ConnectorName;
  readonly platform: PlatformName;
  readonly workers: number;
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * Platform `none` only: true runs its workers through the encrypted
   * protocol without a TEE (provisioner, broker, sealed data; keys released
   * without evidence, docs/protocol.md §6a); absent or false, the plain
   * executor. `sealflow run` sets it (true unless --no-encrypt). Platforms
   * with evidence always encrypt.
   */
  readonly encrypt?: boolean;
  /** The most threads and memory (bytes) of the steps placed on it: batch connectors ask for them per worker. */
  readonly resources?: { readonly threads?: number; readonly memory?: number };
}

export type AttemptResultMsg = SucceededMsg | FailedMsg | CancelledMsg;

export interface PoolEvents {
  onWorkerStarted(w: WorkerHandle, d: EngineDeployment): void;
  onResult(msg: AttemptResultMsg): void;
  /** The worker finished attempt `id` and is free for another; its result is still being copied back (WorkerHandle.onVacated). */
  onVacated?(id: string): void;
  /** A worker went away (or was declared dead, `reason`); its attempts in flight are lost. */
  onWorkerLost(w: WorkerHandle, lostAttempts: readonly string[], reason: string): void;
  /** A replacement worker is ready, or could not be started: assignments that had to wait may go ahead (or fail). */
  onCapacity(): void;
}

/** A plain run's workers started before its master exists (`WorkerPool.start`): the run's id is all they need. */
export interface PlainRun {
  readonly runId: string;
  readonly plain: true;
}

/** A queued worker's batch job moved (submitted and waiting, or running on a node): told at once, not buffered until `attach`. */
export type JobListener = (slot: string, d: EngineDeployment, r: LaunchReport) => void;

/** What `assign` does when a deployment has no live worker but a replacement is starting. */
export const WAIT = 'wait' as const;

const SHUTDOWN_GRACE_MS = 5000;

/** Re-provisionings a deployment may make per worker when `maxReprovisions` is not set (a crash loop ends the run rather than spinning). */
export const DEFAULT_REPROVISIONS_PER_WORKER = 3;
/** A failed re-provisioning is tried again after 250 ms, then twice as long each time, at most this long. */
const RETRY_MAX_MS = 4000;

/** The cap of re-provisionings of a deployment in one run: `maxReprovisions` of sealflow.yaml, else 3 per worker. */
export function reprovisionCap(d: Pick<EngineDeployment, 'workers' | 'options'>): number {
  const v = d.options['maxReprovisions'];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : DEFAULT_REPROVISIONS_PER_WORKER * Math.max(1, d.workers);
}

/** How to start more of a deployment's workers, and what re-provisioning did so far. */
interface Plan {
  readonly d: EngineDeployment;
  started: number;
  replacing: boolean;
  /** Workers started (or tried) to replace lost ones. */
  replacements: number;
  /** Set once the cap is spent and no worker is left: why the deployment's steps cannot run (one line). */
  exhausted?: string;
}

interface Live {
  readonly handle: WorkerHandle;
  readonly deployment: string;
  /** Attempt id -> process group of its command (0 until `started`) and the scratch directories it may leave. */
  readonly inFlight: Map<string, { pgid: number; scratch: readonly string[] }>;
  /** Attempts of `inFlight` the worker has finished whose results are still being copied back: they do not load it. */
  readonly vacated: Set<string>;
  alive: boolean;
  monitor: WorkerMonitor | null;
  /** Resolves when the channel has closed (every message the worker sent has been read). */
  readonly closed: Promise<void>;
}

export class WorkerPool {
  private readonly workers: Live[] = [];
  private stopping = false;
  private events: PoolEvents | null = null;
  /** What happened before `attach` (workers starting while the run is still being validated). */
  private queued: ((e: PoolEvents) => void)[] = [];

  /** Deployment id -> how to start more of its workers, and how many were started so far. */
  private readonly plans = new Map<string, Plan>();
  private runId = '';
  private workDir = '';
  /** The run's master: attested workers are provisioned through its session. */
  private master: MasterSession | null = null;
  private env: Readonly<Record<string, string>> = {};
  private attested = false;
  private onJob: JobListener = () => undefined;
  readonly heartbeat: HeartbeatSettings;

  private constructor(heartbeat?: HeartbeatSettings) {
    this.heartbeat = heartbeat ?? heartbeatSettings();
  }

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
      if (!isConnectorName(d.connector)) throw new InputError(`deployment ${d.id}: connector ${d.connector} is not available in this version (available: ${CONNECTOR_NAMES.join(', ')})`);
      const p = platformByName(d.platform);
      if (!p) throw new InputError(`deployment ${d.id}: platform ${d.platform} is not available in this version (available: ${LAUNCHABLE_PLATFORMS.join(', ')})`);
      // Workers on another host: the master checks what it needs itself; the host's device and launcher are the host's (hostNeeds).
      const needs = d.connector === 'local' ? p.launchNeeds : p.masterNeeds !== undefined ? p.masterNeeds : p.launchNeeds;
      if (needs !== null) throw new InputError(`deployment ${d.id} (connector ${d.connector}): platform ${d.platform} cannot start workers here: it needs ${needs}. Platforms that start here: ${LAUNCHABLE_PLATFORMS.join(', ')}.`);
    }
  }

  /** True if the deployment's workers are plain (no evidence, not encrypted): they start without the run's master. */
  static isPlain(d: EngineDeployment): boolean {
    return platformByName(d.platform)?.evidence === null && d.encrypt !== true;
  }

  /**
   * Starts the workers of the given deployments. May begin while the run is
   * still being validated (workers start in parallel with it); nothing is
   * assigned before `attach`. Plain deployments only (`isPlain`) may start
   * with just the run's id, before its master exists.
   */
  static async start(master: MasterSession | PlainRun, workDir: string, deployments: readonly EngineDeployment[], heartbeat?: HeartbeatSettings, onJob?: JobListener): Promise<WorkerPool> {
    WorkerPool.check(deployments);
    const pool = new WorkerPool(heartbeat);
    if (onJob) pool.onJob = onJob;
    pool.master = 'plain' in master ? null : master;
    pool.runId = master.runId;
    pool.workDir = workDir;
    const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };
    if (process.env['HOME']) env['HOME'] = process.env['HOME'];
    if (process.env['SEALFLOW_DEBUG']) env['SEALFLOW_DEBUG'] = process.env['SEALFLOW_DEBUG'];
    // Off by default: a directory for V8 CPU profiles of every worker process (docs/protocol.md §16, bench/RESULTS.md).
    const prof = process.env['SEALFLOW_WORKER_CPU_PROF'];
    if (prof) env['SEALFLOW_WORKER_CPU_PROF'] = prof;
    pool.env = env;
    try {
      const started = await Promise.all(
        deployments.map(async (d) => {
          pool.plans.set(d.id, { d, started: 0, replacing: false, replacements: 0 });
          return (await pool.launch(d, Math.max(1, d.workers))).map((h) => ({ h, d }));
        }),
      );
      for (const { h, d } of started.flat()) pool.adopt(h, d);
    } catch (e) {
      pool.killAll();
      throw new OperationError(`could not start workers: ${e instanceof Error ? e.message : String(e)}`);
    }
    return pool;
  }

  /**
   * Starts `count` workers of `d`, numbering on: each is launched by the
   * deployment's connector running its platform's command (worker-start.ts);
   * platforms with evidence, and encrypted runs, are provisioned through WCPAC.
   */
  private async launch(d: EngineDeployment, count: number): Promise<WorkerHandle[]> {
    const plan = this.plans.get(d.id) as Plan;
    const firstIndex = plan.started + 1;
    plan.started += count;
    const slots = Array.from({ length: count }, (_, i) => `${d.id}-${i + firstIndex}`);
    const connector = (await connectorByName(d.connector)) as NonNullable<Awaited<ReturnType<typeof connectorByName>>>;
    const platform = platformByName(d.platform) as NonNullable<ReturnType<typeof platformByName>>;
    if (platform.evidence !== null || d.encrypt === true) {
      if (this.master === null) throw new Error(`deployment ${d.id}: its workers (platform ${d.platform}${d.encrypt === true ? ', encrypted' : ''}) are provisioned through the run's master, and this pool has none`);
      this.attested = true;
      const report = (slot: string, r: LaunchReport) => this.onJob(slot, d, r);
      return startAttestedWorkers(this.master as MasterSession, { runId: this.runId, connector, env: this.env, report }, d, slots);
    }
    const c = { runId: this.runId, connector, platform, env: this.env, localBase: this.workDir };
    return startAll(slots, (slot) => startPlainWorker(c, d, slot));
  }

  /** The live workers (for status displays and fault-injection tests). */
  liveWorkers(): WorkerHandle[] {
    return this.workers.filter((w) => w.alive).map((w) => w.handle);
  }

  private adopt(handle: WorkerHandle, d: EngineDeployment): void {
    const live: Live = { handle, deployment: d.id, inFlight: new Map(), vacated: new Set(), alive: true, monitor: null, closed: new Promise((r) => handle.channel.onClose(() => r())) };
    this.workers.push(live);
    const handlers: Handlers<WorkerToMaster> = {
      ready: () => undefined,
      heartbeat: () => undefined,
      started: (m) => {
        const f = live.inFlight.get(m.id);
        if (f) f.pgid = m.pgid;
      },
      succeeded: (m) => this.result(live, m),
      failed: (m) => this.result(live, m),
      cancelled: (m) => this.result(live, m),
    };
    handle.channel.onMessage((m) => {
      live.monitor?.seen();
      dispatch(handlers, m, () => this.lose(live, `worker ${handle.id} sent a message of unknown type`));
    });
    handle.onVacated?.((id) => {
      if (!live.alive || !live.inFlight.has(id) || live.vacated.has(id)) return;
      live.vacated.add(id);
      this.emit((e) => e.onVacated?.(id));
    });
    handle.channel.onClose((why) => this.lose(live, `its connection closed (${why})`));
    void handle.exited.then((x) => this.lose(live, `it exited (${x.signal ? `signal ${x.signal}` : `code ${x.code}`})`));
    if (live.alive) live.monitor = monitorWorker(handle.channel, this.heartbeat, (why) => this.lose(live, `declared dead: ${why}`));
    this.emit((e) => e.onWorkerStarted(handle, d));
  }

  private result(live: Live, m: AttemptResultMsg): void {
    live.vacated.delete(m.id);
    if (!live.inFlight.delete(m.id)) return;
    this.emit((e) => e.onResult(m));
  }

  /**
   * A worker is gone or declared dead (docs/protocol.md §12): revoke it, kill
   * it, and once it is gone stop the process groups it reported and delete
   * the scratch of its attempts; its attempts are lost (the scheduler
   * re-runs them), and if its deployment has no live worker left a
   * replacement is started.
   */
  private lose(live: Live, reason: string): void {
    if (!live.alive) return;
    live.alive = false;
    live.monitor?.stop();
    const lost = [...live.inFlight.keys()];
    if (!this.stopping) live.handle.revoke?.(reason);
    // A worker that lost its channel is of no further use.
    if (!this.stopping) live.handle.kill();
    // Whatever it was running must not outlive it: once it is gone and its last messages are read
    // (a `started` can arrive after the exit is noticed), stop the process groups it reported and delete its scratch.
    void Promise.all([live.handle.exited, live.closed]).then(() => {
      const inFlight = [...live.inFlight.values()];
      live.inFlight.clear();
      const groups = inFlight.map((f) => f.pgid).filter((g) => g > 0);
      if (groups.length > 0) live.handle.reap(groups);
      const scratch = inFlight.flatMap((f) => f.scratch);
      if (scratch.length > 0) live.handle.wipe(scratch);
    });
    // Before the scheduler hears of it: its re-runs must find the replacement already coming.
    if (!this.stopping) this.replaceIfNone(live.deployment, { worker: live.handle.id, host: live.handle.host, reason });
    if (!this.stopping || lost.length > 0) this.emit((e) => e.onWorkerLost(live.handle, lost, reason));
  }

  /**
   * Re-provisioning (docs/connectors/ssh.md, "Faults"): when a deployment
   * has no live worker left, one is started through its connector (on
   * another of its hosts, or on the same one once it is back), attested
   * afresh, and gets the lost attempts. A start that fails is tried again
   * (250 ms, doubling, at most 4 s apart). Every start counts against the
   * deployment's cap (`maxReprovisions`); past it, the deployment's steps
   * fail with one line naming the deployment, the host and what to do.
   */
  private replaceIfNone(deployment: string, lost: { worker: string; host: string; reason: string }): void {
    const plan = this.plans.get(deployment);
    if (!plan || plan.replacing || this.workers.some((w) => w.alive && w.deployment === deployment)) return;
    const cap = reprovisionCap(plan.d);
    if (plan.replacements >= cap) {
      plan.exhausted = `deployment ${deployment}: worker ${lost.worker} on host ${lost.host} was lost (${lost.reason}) and the deployment has already been re-provisioned ${plan.replacements} time${plan.replacements === 1 ? '' : 's'}, its cap (maxReprovisions: ${cap}); check host ${lost.host}, then run again with --resume, or raise maxReprovisions for deployment ${deployment} in sealflow.yaml`;
      return;
    }
    plan.replacing = true;
    this.reprovision(plan, cap, 0, lost.host);
  }

  private reprovision(plan: Plan, cap: number, failures: number, host: string): void {
    plan.replacements++;
    const id = plan.d.id;
    void this.launch(plan.d, 1).then(
      (hs) => {
        plan.replacing = false;
        if (this.stopping) {
          for (const h of hs) h.kill();
          return;
        }
        for (const h of hs) this.adopt(h, plan.d);
        this.emit((e) => e.onCapacity());
      },
      (err: unknown) => {
        const why = err instanceof Error ? err.message : String(err);
        if (this.stopping) {
          plan.replacing = false;
          return;
        }
        if (plan.replacements < cap) {
          const ms = Math.min(RETRY_MAX_MS, 250 * 2 ** failures);
          process.stderr.write(`sealflow: deployment ${id}: re-provisioning a worker failed (${why}); trying again in ${ms} ms (${plan.replacements} of maxReprovisions: ${cap})\n`);
          setTimeout(() => (this.stopping ? (plan.replacing = false) : this.reprovision(plan, cap, failures + 1, host)), ms).unref();
          return;
        }
        plan.replacing = false;
        plan.exhausted = `deployment ${id}: could not re-provision a worker for the one lost on host ${host} within its cap (maxReprovisions: ${cap}), last: ${why}; check the deployment's hosts, then run again with --resume, or raise maxReprovisions for deployment ${id} in sealflow.yaml`;
        process.stderr.write(`sealflow: ${plan.exhausted}\n`);
        this.emit((e) => e.onCapacity());
      },
    );
  }

  /** Why a deployment has no worker and none is coming (its re-provisioning cap is spent), one line; undefined otherwise. */
  exhausted(deployment: string): string | undefined {
    return this.plans.get(deployment)?.exhausted;
  }

  /**
   * Sends the attempt to the least-loaded live worker of the deployment and
   * returns it; `WAIT` if none is alive but a replacement is starting
   * (`onCapacity` follows); null if none is alive and none is coming.
   */
  assign(deployment: string, msg: AssignMsg): WorkerHandle | typeof WAIT | null {
    let best: Live | null = null;
    for (const w of this.workers) {
      if (!w.alive || w.deployment !== deployment) continue;
      if (!best || w.inFlight.size - w.vacated.size < best.inFlight.size - best.vacated.size) best = w;
    }
    if (!best) return this.plans.get(deployment)?.replacing ? WAIT : null;
    best.inFlight.set(msg.id, { pgid: 0, scratch: [msg.scratchDir, `${msg.scratchDir}.in`, `${msg.scratchDir}.tools`] });
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
    for (const w of this.workers) {
      w.monitor?.stop();
      w.handle.kill();
    }
    // The attested session (key broker, executor port) outlives single workers; it ends with the pool.
    const gone = Promise.all(this.workers.map((w) => w.handle.exited));
    if (this.attested) void gone.then(() => this.master?.close());
    // Connections and run directories the connectors hold for the run end once its workers are gone.
    const connectors = new Set([...this.plans.values()].map((p) => p.d.connector));
    void gone.then(() => Promise.all([...connectors].map(async (n) => (await connectorByName(n))?.close?.(this.runId).catch(() => undefined))));
  }
}
