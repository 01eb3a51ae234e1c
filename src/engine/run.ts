/**
 * One run from start (or resume) to finish: bundle the tasks, create or
 * reopen the run directory and journal, start the workers, schedule, shut the
 * workers down, journal the end. Everything that can be wrong with the input
 * is checked before the run directory exists, so an invalid run leaves
 * nothing behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError, OperationError } from '../errors.js';
import type { PortValue, Step, Workflow } from '../workflow/model.js';
import { bindEncryptedRun, type EncryptedRun } from '../master/resume.js';
import { MasterSession, type MasterSettings } from '../master/master-session.js';
import { bundleTasks, type TaskBundle } from './bundle.js';
import type { NewEvent, RunEvent, StepFailed } from './events.js';
import { ContentHasher } from './hash.js';
import { Journal, readJournal } from './journal.js';
import { newRunId, RunDir } from './run-dir.js';
import { runScratchDir } from '../protocol/scratch.js';
import { Scheduler, type PriorSuccess } from './scheduler.js';
import type { RunState } from './states.js';
import { commandToolsOf, type ToolsSettings } from './tools.js';
import { usedDeployments } from './placement.js';
import { WorkerPool, type EngineDeployment, type JobListener, type PlainRun } from './workers.js';
import { checkSameWorkflow, workflowShape } from './workflow-identity.js';
import { runStartedOf } from './resume-record.js';
import type { Advertise } from '../master/advertise.js';

export interface RunRequest {
  readonly workflow: Workflow;
  readonly inputs: Readonly<Record<string, PortValue>>;
  readonly stateDir: string;
  readonly deployments: readonly EngineDeployment[];
  readonly deploymentFor: (step: Step) => string;
  readonly concurrency: number;
  readonly keepGoing: boolean;
  readonly configFile?: string;
  /** `--platform` of the local deployments, journalled so that a resume keeps it. */
  readonly platform?: string;
  /** Journalled in run-started so that `--resume` keeps the run encrypted or plain. */
  readonly encrypted?: boolean;
  /** Resume this run: reuse instances whose hash is unchanged and whose outputs are intact. */
  readonly resumeId?: string;
  /** The id of a new run (default: a fresh one). */
  readonly runId?: string;
  /** Workers already starting (`startWorkers`), so that their start overlaps validation; then `master` is theirs. */
  readonly workers?: Promise<WorkerPool>;
  /** The run's master (`runMaster`); default: a new one. Required with `workers`. */
  readonly master?: MasterSession;
  /** The owner's recipient (`age1…`) results are encrypted to; default: the local owner identity. */
  readonly owner?: string;
  /** Every event, as it is journalled (progress display, --json). */
  readonly onEvent?: (e: RunEvent) => void;
  /** Aborting cancels the run (SIGINT/SIGTERM). */
  readonly signal?: AbortSignal;
  /** The run configuration's fixed PATH and tool pins (docs/protocol.md §10.3). */
  readonly tools?: ToolsSettings;
}

export interface RunOutcome {
  readonly runId: string;
  readonly runDir: RunDir;
  readonly state: Exclude<RunState, 'running' | 'interrupted'>;
  readonly outputs: Readonly<Record<string, PortValue>>;
  readonly failures: readonly StepFailed[];
  readonly message?: string;
}

/** After a cancel, how long running attempts get to stop before their workers are killed. */
const CANCEL_DEADLINE_MS = 10_000;

/** Successes recorded in a journal, by `step[index]`, minus those a later attempt may have overwritten. */
export function priorSuccesses(events: readonly RunEvent[]): Map<string, PriorSuccess> {
  const prior = new Map<string, PriorSuccess>();
  for (const e of events) {
    if (e.type === 'step-succeeded') prior.set(`${e.step}[${e.index}]`, { hash: e.hash, outputs: e.outputs, ...(e.outputsMac !== undefined ? { outputsMac: e.outputsMac } : {}), ...(e.keyDigests !== undefined ? { keyDigests: e.keyDigests } : {}) });
    else if (e.type === 'step-started') prior.delete(`${e.step}[${e.index}]`);
  }
  return prior;
}

/**
 * The master of run `runId` of `workflow` (its settings handed in, no module
 * state): an encrypted resume finds its run secrets in the run directory.
 */
export function runMaster(workflow: Workflow, runId: string, stateDir: string, opts: { owner?: string; warn?: (m: string) => void; advertise?: Advertise; data?: MasterSettings['data'] } = {}): MasterSession {
  const teeBy = new Map(workflow.steps.map((s) => [s.id, s.requirements.tee]));
  return new MasterSession({
    runId,
    runRoot: new RunDir(stateDir, runId).root,
    ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
    ...(opts.warn !== undefined ? { warn: opts.warn } : {}),
    ...(opts.advertise !== undefined ? { advertise: opts.advertise } : {}),
    ...(opts.data !== undefined ? { data: opts.data } : {}),
    teeOf: (label) => teeBy.get(label.replace(/\[.*$/, '')) ?? 'none',
  });
}

/**
 * Starts the workers a run will need, before the rest of the run is set up.
 * If the run does not go ahead, call `abandonWorkers` on the result.
 */
export function startWorkers(master: MasterSession | PlainRun, deployments: readonly EngineDeployment[]): Promise<WorkerPool> {
  WorkerPool.check(deployments); // throws InputError now, before any process starts
  const jobs = jobBuffer();
  const p = WorkerPool.start(master, os.tmpdir(), deployments, undefined, jobs.listener);
  p.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection meanwhile
  jobsOf.set(p, jobs);
  return p;
}

/** Batch jobs of workers (`worker-job`), buffered from the start of the workers until the run's journal exists. */
const jobsOf = new WeakMap<Promise<WorkerPool>, ReturnType<typeof jobBuffer>>();
function jobBuffer() {
  let sink: ((e: NewEvent) => void) | null = null;
  const pending: NewEvent[] = [];
  const listener: JobListener = (slot, d, r) => {
    const e: NewEvent = { type: 'worker-job', worker: slot, deployment: d.id, connector: d.connector, job: r.job, state: r.state, ...(r.node !== undefined ? { node: r.node } : {}), ...(r.reason !== undefined ? { reason: r.reason } : {}) };
    if (sink) sink(e);
    else pending.push(e);
  };
  const attach = (s: (e: NewEvent) => void) => {
    sink = s;
    for (const e of pending.splice(0)) s(e);
  };
  return { listener, attach };
}

export function abandonWorkers(p: Promise<WorkerPool>): void {
  p.then((pool) => pool.killAll(), () => undefined);
}

/** The run's worker scratch root (§10.8); an OperationError that says what to set when there is no usable place. */
function workerScratchRoot(runId: string): string {
  try {
    return runScratchDir(runId);
  } catch (e) {
    throw new OperationError(`run ${runId}: ${e instanceof Error ? e.message : String(e)}; nothing ran`);
  }
}

export async function executeRun(req: RunRequest): Promise<RunOutcome> {
  const deployments = usedDeployments(req.workflow, req.deployments, req.deploymentFor);
  const runId = req.resumeId ?? req.runId ?? newRunId();
  if (req.workers && !req.master) throw new Error('executeRun: workers started elsewhere come with their master');
  // An encrypted run's attested session reuses the run secrets found in its directory (a resume).
  const master = req.master ?? runMaster(req.workflow, runId, req.stateDir, req.owner !== undefined ? { owner: req.owner } : {});
  if (master.runId !== runId) throw new Error(`executeRun: the master of run ${master.runId} cannot run ${runId}`);
  // A task bundle that fails to build is the user's error: reported before any worker starts.
  const bundle = await bundleTasks(req.workflow).catch((e: unknown) => {
    if (req.workers) abandonWorkers(req.workers);
    throw e;
  });
  const starting = req.workers ?? startWorkers(master, deployments);
  try {
    return await execute(req, master, starting, bundle);
  } catch (e) {
    abandonWorkers(starting);
    throw e;
  }
}

async function execute(req: RunRequest, master: MasterSession, starting: Promise<WorkerPool>, bundle: TaskBundle | null): Promise<RunOutcome> {
  const runId = master.runId;
  let runDir: RunDir;
  let journal: Journal;
  let prior = new Map<string, PriorSuccess>();
  if (req.resumeId !== undefined) {
    runDir = new RunDir(req.stateDir, runId);
    if (!runDir.exists()) throw new InputError(`no run ${runId} in ${path.resolve(req.stateDir)} (see \`sealflow runs\`)`);
    const read = readJournal(runDir.journal);
    const recorded = read.events;
    checkSameWorkflow(runId, runStartedOf(recorded, runDir.journal, runId), req.workflow); // the CLI checked it before any worker started; other callers too
    prior = priorSuccesses(recorded);
    journal = Journal.openForAppend(runDir.journal, read.validBytes);
    if (req.onEvent) journal.onEvent(req.onEvent);
    journal.append({ type: 'run-resumed', workflow: req.workflow.file, pid: process.pid, host: os.hostname() });
  } else {
    runDir = new RunDir(req.stateDir, runId);
    runDir.create();
    journal = Journal.create(runDir.journal);
    if (req.onEvent) journal.onEvent(req.onEvent);
    journal.append({
      type: 'run-started',
      runId: runDir.id,
      workflow: req.workflow.file,
      name: req.workflow.name,
      steps: req.workflow.steps.map((s) => s.id),
      shape: workflowShape(req.workflow),
      inputs: req.inputs,
      ...(req.configFile !== undefined ? { configFile: req.configFile } : {}),
      ...(req.platform !== undefined ? { platform: req.platform } : {}),
      ...(req.encrypted !== undefined ? { encrypted: req.encrypted } : {}),
      concurrency: req.concurrency,
      keepGoing: req.keepGoing,
      pid: process.pid,
      host: os.hostname(),
    });
  }
  // Key-broker decisions of attested workers go to this journal (buffered until now), and where their batch jobs are.
  master.attachJournal((d) => journal.append({ type: 'wcpac', decision: d }));
  jobsOf.get(starting)?.attach((e) => journal.append(e));
  if (bundle) {
    fs.mkdirSync(path.dirname(runDir.bundle), { recursive: true });
    fs.writeFileSync(runDir.bundle, bundle.code, { mode: 0o600 });
  }

  fs.mkdirSync(path.join(runDir.root, 'scratch'), { recursive: true, mode: 0o700 });
  let pool: WorkerPool | null = null;
  let encrypted: EncryptedRun<PriorSuccess> | null;
  let scratchRoot: string | undefined;
  // Encrypted runs: run secrets persisted or restored, recorded hashes restored, keyed resume hashes (docs/protocol.md §13.2).
  const bind = () =>
    bindEncryptedRun({
      runId,
      master,
      runRoot: runDir.root,
      resumed: req.resumeId !== undefined,
      prior,
      record: (d) => journal.append({ type: 'wcpac', decision: d }),
      outputsMac: (key) => {
        const h = new ContentHasher(key);
        return (instance, hash, outputs, keyDigests) => h.outputsMac(instance, hash, outputs, keyDigests);
      },
    });
  // If the workers' attested session is already opening, bind while the workers start (a resume of thousands of
  // steps re-hashes their outputs meanwhile); otherwise once they have started, as it is only known then.
  const early = master.opened() !== undefined ? bind() : undefined;
  early?.catch(() => undefined); // awaited below, after the workers
  try {
    pool = await starting;
    encrypted = await (early ?? bind());
    // Encrypted runs: workers' plaintext never lives in the run directory (docs/protocol.md §10.8).
    if (encrypted) scratchRoot = workerScratchRoot(runId);
  } catch (e) {
    await early?.catch(() => undefined); // nothing of it is journalled after the end
    journal.append({ type: 'run-finished', state: 'failed', outputs: {}, message: (e as Error).message });
    await journal.close();
    throw e;
  }
  // Large owner inputs are hashed here, asynchronously: the scheduler's hashing is synchronous (§11.3).
  const hasher = new ContentHasher(encrypted?.hashKey);
  await hasher.warmFiles(req.inputs, encrypted?.keyedDigest); // encrypted: from the admission pass (§10.6)
  const scheduler = new Scheduler({
    workflow: req.workflow,
    inputs: req.inputs,
    concurrency: Math.max(1, req.concurrency),
    keepGoing: req.keepGoing,
    deploymentFor: req.deploymentFor,
    runDir,
    bundle: bundle ? { file: runDir.bundle, tasks: bundle } : null,
    prior: encrypted?.prior ?? prior,
    hasher,
    journal,
    reveal: (v) => master.reveal(v),
    commandTools: commandToolsOf(req.tools ?? {}, req.deployments, req.deploymentFor),
    ...(scratchRoot !== undefined ? { scratchRoot } : {}),
    dispatcher: {
      assign: (d, m) => pool?.assign(d, m) ?? null,
      cancel: (id) => pool?.cancel(id),
      why: (d) => pool?.exhausted(d),
    },
  });
  let deadline: NodeJS.Timeout | undefined;
  const onAbort = () => {
    scheduler.cancel('cancelled by signal');
    deadline ??= setTimeout(() => pool?.killAll(), CANCEL_DEADLINE_MS);
  };
  try {
    pool = await starting;
    pool.attach({
      onWorkerStarted: (w, d) =>
        journal.append({ type: 'worker-started', worker: w.id, deployment: d.id, connector: d.connector, platform: d.platform, host: w.host, pid: w.pid, ...(w.job !== undefined ? { job: w.job } : {}) }),
      onResult: (m) => scheduler.onResult(m),
      onVacated: (id) => scheduler.onVacated(id),
      onWorkerLost: (w, ids, reason) => {
        journal.append({ type: 'worker-lost', worker: w.id, host: w.host, reason, attempts: ids });
        scheduler.onWorkerLost(w, ids, reason);
      },
      onCapacity: () => scheduler.poke(),
    });
  } catch (e) {
    journal.append({ type: 'run-finished', state: 'failed', outputs: {}, message: (e as Error).message });
    await journal.close();
    throw e;
  }
  if (req.signal?.aborted) onAbort();
  req.signal?.addEventListener('abort', onAbort, { once: true });
  const result = await scheduler.start();
  req.signal?.removeEventListener('abort', onAbort);
  if (deadline) clearTimeout(deadline);
  await pool.shutdown();
  fs.rmSync(path.join(runDir.root, 'scratch'), { recursive: true, force: true });
  if (scratchRoot !== undefined) fs.rmSync(scratchRoot, { recursive: true, force: true, maxRetries: 3 }); // its workers are gone
  journal.append({ type: 'run-finished', state: result.state, outputs: result.outputs, ...(result.message ? { message: result.message } : {}) });
  await journal.close();
  return { runId: runDir.id, runDir, ...result };
}
