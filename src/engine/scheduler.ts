/**
 * The run state machine. Steps become `ready` when every step they read from
 * has finished; a ready step is expanded into instances (scatter), each
 * instance is skipped (`when`), reused (resume: same hash, outputs intact) or
 * queued; queued instances are sent to workers while the cores they use
 * (each counts its `threads`) stay within `concurrency`. A failure is retried up to the step's `retries`; after
 * that the run stops (fail-fast: running attempts are cancelled) unless
 * `keepGoing`, in which case only the steps downstream of it are cancelled.
 *
 * Every transition is journalled; the journal is what `show` and `--resume` read.
 * The step/instance records are in step-graph.ts, what a step runs (code
 * identity, exec spec, assign message) in step-exec.ts, reuse in reuse.ts.
 */
import type { PortValue, SourceRef, Step, Workflow } from '../workflow/model.js';
import type { AssignMsg } from '../protocol/execution.js';
import type { WorkerHandle } from '../connectors/connector.js';
import type { StepFailed } from './events.js';
import type { ContentHasher } from './hash.js';
import type { Journal } from './journal.js';
import type { RunState, StepState } from './states.js';
import { expandScatter, gatherOutputs, resolveStepInputs, resolveWorkflowOutput, ValueError, whenHolds } from './values.js';
import type { AttemptResultMsg } from './workers.js';
import { reusableOutputs, type PriorSuccess } from './reuse.js';
import { StepExec, type StepExecOptions } from './step-exec.js';
import { aggregateState, buildStepGraph, type Inst, type StepRec } from './step-graph.js';

export { outputsIntact, type PriorSuccess } from './reuse.js';

/** How often one instance may lose its worker before the run gives up on it (a step that kills every worker it runs on). */
const MAX_WORKER_LOSSES = 3;

/** What the scheduler needs from the worker pool. */
export interface Dispatcher {
  /** The worker the attempt went to; 'wait' when a replacement worker is starting (then `poke` follows); null if there is none. */
  assign(deployment: string, msg: AssignMsg): WorkerHandle | 'wait' | null;
  cancel(id: string): void;
  /** Why a deployment has no worker and none is coming (one line naming it, the host and what to do), if known. */
  why?(deployment: string): string | undefined;
}

/** Also `runDir`, `bundle` and `commandTools` (what a step runs: StepExecOptions in step-exec.ts). */
export interface SchedulerOptions extends StepExecOptions {
  readonly workflow: Workflow;
  readonly inputs: Readonly<Record<string, PortValue>>;
  readonly concurrency: number;
  readonly keepGoing: boolean;
  readonly deploymentFor: (step: Step) => string;
  readonly prior: ReadonlyMap<string, PriorSuccess>;
  readonly hasher: ContentHasher;
  readonly journal: Journal;
  readonly dispatcher: Dispatcher;
  /** Encrypted runs: replaces sealed values by their plaintext (master memory only) where a step's inputs are resolved (docs/protocol.md §10.2). */
  readonly reveal?: (v: PortValue) => PortValue;
}

export interface SchedulerResult {
  readonly state: Exclude<RunState, 'running' | 'interrupted'>;
  readonly outputs: Record<string, PortValue>;
  readonly failures: readonly StepFailed[];
  readonly message?: string;
}

export class Scheduler {
  private readonly recs: Map<string, StepRec>;
  private readonly exec: StepExec;
  private readonly ready: Inst[] = [];
  private readyHead = 0;
  private readonly inFlight = new Map<string, Inst>();
  private readonly failures: StepFailed[] = [];
  private stopping: 'fail-fast' | 'cancelled' | null = null;
  private stopMessage: string | undefined;
  private finishedSteps = 0;
  private resolveDone!: (r: SchedulerResult) => void;
  readonly done = new Promise<SchedulerResult>((r) => (this.resolveDone = r));

  constructor(private readonly o: SchedulerOptions) {
    this.recs = buildStepGraph(o.workflow);
    this.exec = new StepExec(o);
  }

  /** Starts scheduling; `done` resolves when the run has finished or stopped. */
  start(): Promise<SchedulerResult> {
    // Roots first, collected before any activation: a reused root finishes synchronously and activates its dependents.
    const roots = [...this.recs.values()].filter((r) => r.waiting === 0);
    for (const rec of roots) if (!this.stopping) this.activate(rec);
    this.pump();
    return this.done;
  }

  /** Stops the run: no new attempts; running ones are cancelled (Ctrl-C, SIGTERM). */
  cancel(reason: string): void {
    if (this.stopping === 'cancelled') return;
    this.stop('cancelled', reason);
    this.pump();
  }

  private get activeCount(): number {
    return this.inFlight.size;
  }

  /** Cores in use: each running instance counts its `threads` (at most the whole limit). */
  private slotsInUse = 0;
  private slotsOf(inst: Inst): number {
    return Math.min(Math.max(1, inst.rec.step.requirements.threads), this.o.concurrency);
  }

  private lookup = (src: SourceRef): PortValue => {
    if (src.kind === 'workflow-input') {
      const v = this.o.inputs[src.input];
      if (v !== undefined && v !== null) return v;
      return this.o.workflow.inputs.find((p) => p.id === src.input)?.default ?? null;
    }
    return this.recs.get(src.step)?.outputs?.[src.output] ?? null;
  };

  /** A source's value as a step input: revealed (§10.2), so that pickValue, scatter and `when` see plaintext. */
  private inputLookup = (src: SourceRef): PortValue => (this.o.reveal ? this.o.reveal(this.lookup(src)) : this.lookup(src));

  private activate(rec: StepRec): void {
    const bad = rec.upstream.find((u) => u.state === 'failed' || u.state === 'cancelled');
    if (bad) {
      this.o.journal.append({ type: 'step-cancelled', step: rec.step.id, index: 0, reason: `step ${bad.step.id} it reads from ${bad.state === 'failed' ? 'failed' : 'did not finish'}` });
      this.finishStep(rec, 'cancelled');
      return;
    }
    rec.state = 'ready';
    let perInstance: Record<string, PortValue>[];
    try {
      perInstance = expandScatter(rec.step, resolveStepInputs(rec.step, this.inputLookup));
    } catch (e) {
      this.failWithoutRunning(rec, 0, e);
      this.finishStep(rec, 'failed');
      return;
    }
    if (rec.step.scatter.length > 0) this.o.journal.append({ type: 'step-expanded', step: rec.step.id, count: perInstance.length });
    rec.instances = perInstance.map((inputs, index) => ({ rec, index, inputs, state: 'ready', attempt: 0, losses: 0, hash: '', outputs: null }));
    if (rec.instances.length === 0) {
      this.finishStep(rec, 'succeeded');
      return;
    }
    for (const inst of rec.instances) this.prepare(inst);
  }

  /** Skip, reuse or queue one instance. */
  private prepare(inst: Inst): void {
    const step = inst.rec.step;
    try {
      if (!whenHolds(step, inst.inputs)) {
        this.o.journal.append({ type: 'step-skipped', step: step.id, index: inst.index, reason: `when: ${step.when} is false` });
        this.instanceDone(inst, 'skipped');
        return;
      }
      inst.hash = this.o.hasher.instance({ code: this.exec.codeOf(step), inputs: inst.inputs });
    } catch (e) {
      this.failWithoutRunning(inst.rec, inst.index, e);
      this.instanceDone(inst, 'failed');
      return;
    }
    const reused = reusableOutputs(this.o.prior.get(`${step.id}[${inst.index}]`), inst.hash);
    if (reused) {
      inst.outputs = reused;
      this.o.journal.append({ type: 'step-reused', step: step.id, index: inst.index, hash: inst.hash });
      this.instanceDone(inst, 'succeeded');
      return;
    }
    this.ready.push(inst);
  }

  private failWithoutRunning(rec: StepRec, index: number, e: unknown): void {
    const message = e instanceof ValueError ? e.message : `step ${rec.step.id}: ${e instanceof Error ? e.message : String(e)}`;
    const ev = this.o.journal.append({ type: 'step-failed', step: rec.step.id, index, attempt: 0, exitStatus: null, signal: null, message, stderrTail: '', willRetry: false, durationMs: 0 });
    this.failures.push(ev as StepFailed);
    if (!this.o.keepGoing) this.stop('fail-fast', message);
  }

  /** Sends queued instances to workers while there is room; finishes the run when nothing is left. */
  private pump(): void {
    // FIFO: a wide step at the head waits for enough free cores rather than being overtaken forever.
    while (!this.stopping && !this.waitingForWorker && this.readyHead < this.ready.length) {
      const inst = this.ready[this.readyHead] as Inst;
      if (this.slotsInUse + this.slotsOf(inst) > this.o.concurrency) break;
      this.readyHead++;
      this.launch(inst);
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready.splice(0, this.readyHead);
      this.readyHead = 0;
    }
    if (this.activeCount === 0 && !this.waitingForWorker && (this.stopping || this.readyHead >= this.ready.length)) this.finishRun();
  }

  /** Set while the head of the queue waits for a replacement worker. */
  private waitingForWorker = false;

  /** A worker was started (or could not be): retry what was waiting for one. */
  poke(): void {
    if (!this.waitingForWorker) return;
    this.waitingForWorker = false;
    this.pump();
  }

  private launch(inst: Inst): void {
    const step = inst.rec.step;
    inst.attempt++;
    inst.state = 'running';
    const msg: AssignMsg = this.exec.assignMsg(step, inst.index, inst.attempt, inst.inputs);
    const id = msg.id;
    const deployment = this.o.deploymentFor(step);
    const worker = this.o.dispatcher.assign(deployment, msg);
    if (worker === 'wait') {
      // No live worker; a replacement is starting. Put the instance back at the head of the queue.
      inst.attempt--;
      inst.state = 'ready';
      this.readyHead--;
      this.waitingForWorker = true;
      return;
    }
    if (!worker) {
      this.failWithoutRunning(inst.rec, inst.index, new Error(this.o.dispatcher.why?.(deployment) ?? `no live worker in deployment ${deployment}`));
      this.instanceDone(inst, 'failed');
      return;
    }
    this.inFlight.set(id, inst);
    this.slotsInUse += this.slotsOf(inst);
    this.o.journal.append({ type: 'step-started', step: step.id, index: inst.index, attempt: inst.attempt, worker: worker.id, host: worker.host, hash: inst.hash, threads: step.requirements.threads });
  }

  /** Attempts in flight whose worker is already free (their results are being copied back): their cores are free too. */
  private readonly vacated = new Set<string>();

  /** The worker of attempt `id` finished it and may take another while its result is copied back; the attempt stays in flight. */
  onVacated(id: string): void {
    const inst = this.inFlight.get(id);
    if (!inst || this.vacated.has(id)) return;
    this.vacated.add(id);
    this.slotsInUse -= this.slotsOf(inst);
    this.pump();
  }

  /** A worker's answer about an attempt. */
  onResult(msg: AttemptResultMsg): void {
    const inst = this.inFlight.get(msg.id);
    if (!inst) return;
    this.inFlight.delete(msg.id);
    if (!this.vacated.delete(msg.id)) this.slotsInUse -= this.slotsOf(inst);
    const step = inst.rec.step;
    if (msg.type === 'succeeded') {
      inst.outputs = { ...msg.outputs };
      const mac = this.o.hasher.outputsMac(`${step.id}[${inst.index}]`, inst.hash, msg.outputs, msg.keyDigests); // encrypted runs (§13.2, §16.3)
      this.o.journal.append({ type: 'step-succeeded', step: step.id, index: inst.index, attempt: inst.attempt, hash: inst.hash, outputs: msg.outputs, ...(mac ? { outputsMac: mac } : {}), ...(mac && msg.keyDigests ? { keyDigests: msg.keyDigests } : {}), exitStatus: msg.exitStatus, durationMs: msg.durationMs, ...(msg.tools ? { tools: msg.tools } : {}), ...(msg.usage ? { usage: msg.usage } : {}) });
      this.instanceDone(inst, 'succeeded');
    } else if ((msg.type === 'cancelled' && this.stopping) || (this.stopping && msg.type === 'failed' && this.stopping === 'cancelled')) {
      this.o.journal.append({ type: 'step-cancelled', step: step.id, index: inst.index, reason: this.stopMessage ?? 'cancelled' });
      this.instanceDone(inst, 'cancelled');
    } else {
      // A worker that cancels an attempt the master never asked it to cancel (its host stopped it: SIGTERM from
      // Slurm's scancel, a shutdown) has not finished it: nothing a worker says ends a step. Re-run like a lost one.
      const f: Extract<AttemptResultMsg, { type: 'failed' }> =
        msg.type === 'failed' ? msg : { type: 'failed', id: msg.id, exitStatus: null, signal: null, message: 'the worker stopped the attempt by itself (its host stopped the worker) before it finished', stderrTail: '', durationMs: 0 };
      const lost = this.lostIds.delete(msg.id) || msg.type === 'cancelled';
      if (lost) inst.losses++;
      const willRetry = !this.stopping && (lost ? inst.losses <= MAX_WORKER_LOSSES : inst.attempt - inst.losses <= step.retries);
      const ev = this.o.journal.append({ type: 'step-failed', step: step.id, index: inst.index, attempt: inst.attempt, exitStatus: f.exitStatus, signal: f.signal, message: f.message, stderrTail: f.stderrTail, willRetry, durationMs: f.durationMs, ...(lost ? { workerLost: true } : {}), ...(f.tools ? { tools: f.tools } : {}), ...(f.usage ? { usage: f.usage } : {}) });
      if (willRetry) this.ready.push(inst);
      else {
        this.failures.push(ev as StepFailed);
        this.instanceDone(inst, 'failed');
        if (!this.o.keepGoing) this.stop('fail-fast', `step ${step.id}${step.scatter.length > 0 ? `[${inst.index}]` : ''} failed`);
      }
    }
    this.pump();
  }

  private readonly lostIds = new Set<string>();

  /**
   * A worker died or was declared dead (docs/protocol.md §12): its attempts
   * are re-run on another worker (or cancelled, when stopping), without using
   * up the step's retries. Outputs of finished steps live in the run
   * directory, not on the worker, so no producer has to run again.
   */
  onWorkerLost(worker: WorkerHandle, ids: readonly string[], reason = 'it exited'): void {
    for (const id of ids) {
      if (!this.inFlight.has(id)) continue;
      this.lostIds.add(id);
      this.onResult({ type: 'failed', id, exitStatus: null, signal: null, message: `worker ${worker.id} on ${worker.host} exited unexpectedly (${reason})`, stderrTail: '', durationMs: 0 });
    }
  }

  private stop(kind: 'fail-fast' | 'cancelled', message: string): void {
    if (this.stopping === 'cancelled') return;
    this.stopping = kind;
    this.stopMessage ??= message;
    for (const id of this.inFlight.keys()) this.o.dispatcher.cancel(id);
    for (let i = this.readyHead; i < this.ready.length; i++) {
      const inst = this.ready[i] as Inst;
      this.o.journal.append({ type: 'step-cancelled', step: inst.rec.step.id, index: inst.index, reason: message });
      inst.state = 'cancelled';
    }
    this.readyHead = this.ready.length;
  }

  private instanceDone(inst: Inst, state: StepState): void {
    inst.state = state;
    const rec = inst.rec;
    rec.finished++;
    if (rec.finished < rec.instances.length) return;
    this.finishStep(rec, aggregateState(rec.instances));
  }

  private finishStep(rec: StepRec, state: StepState): void {
    rec.state = state;
    this.finishedSteps++;
    if (state === 'succeeded' || state === 'skipped') rec.outputs = gatherOutputs(rec.step, rec.instances.map((i) => i.outputs));
    for (const d of rec.dependents) {
      d.waiting--;
      if (d.waiting === 0 && !this.stopping) this.activate(d);
    }
  }

  private finished = false;
  private finishRun(): void {
    if (this.finished) return;
    this.finished = true;
    const outputs: Record<string, PortValue> = {};
    if (this.stopping === 'cancelled') return this.resolveDone({ state: 'cancelled', outputs, failures: this.failures, message: this.stopMessage ?? 'cancelled' });
    if (this.failures.length > 0 || this.stopping) return this.resolveDone({ state: 'failed', outputs, failures: this.failures, ...(this.stopMessage ? { message: this.stopMessage } : {}) });
    if (this.finishedSteps < this.recs.size) return this.resolveDone({ state: 'failed', outputs, failures: this.failures, message: 'internal error: steps left unscheduled' });
    // Defence in depth: a run with a step that did not finish never succeeds, whatever led to it.
    const unfinished = [...this.recs.values()].find((r) => r.state === 'cancelled' || r.state === 'failed');
    if (unfinished) return this.resolveDone({ state: 'failed', outputs, failures: this.failures, message: `step ${unfinished.step.id} did not finish` });
    try {
      for (const o of this.o.workflow.outputs) outputs[o.id] = resolveWorkflowOutput(o, this.lookup);
    } catch (e) {
      return this.resolveDone({ state: 'failed', outputs, failures: this.failures, message: (e as Error).message });
    }
    this.resolveDone({ state: 'succeeded', outputs, failures: this.failures });
  }
}
