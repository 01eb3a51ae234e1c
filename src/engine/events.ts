/**
 * The events of a run: what the journal (`journal.jsonl`) records, one JSON
 * object per line, and what `sealflow run --json` streams. A tagged union on
 * `type`; every event carries `t`, milliseconds since the Unix epoch.
 *
 * A step instance is identified by `step` and `index` (0 for a step that is
 * not scattered). Attempts count from 1.
 */
import type { PortValue } from '../workflow/model.js';
import type { ToolCheck, Usage } from '../protocol/execution.js';
import type { RunState } from './states.js';
import type { BrokerDecision } from '../master/broker/types.js';
import type { WorkflowShape } from './workflow-identity.js';
import type { ReceiptRecord } from '../master/receipt/journal.js';

export interface RunStarted {
  readonly type: 'run-started';
  readonly t: number;
  readonly runId: string;
  readonly workflow: string;
  readonly name: string;
  /** Step ids in file order (steps that never start still show in `sealflow show`). */
  readonly steps: readonly string[];
  /** Step outputs and workflow outputs (absent in journals written before this field): `--resume` refuses another shape. */
  readonly shape?: WorkflowShape;
  readonly inputs: Readonly<Record<string, PortValue>>;
  readonly configFile?: string;
  /** `--platform`: the platform of the local deployments, if given; `--resume` keeps it unless given again. */
  readonly platform?: string;
  /** Whether the run is encrypted (absent in journals written before this field): `--resume` keeps it. */
  readonly encrypted?: boolean;
  readonly concurrency: number;
  readonly keepGoing: boolean;
  readonly pid: number;
  readonly host: string;
}

/** A later master process picked the run up (`--resume`). */
export interface RunResumed {
  readonly type: 'run-resumed';
  readonly t: number;
  readonly workflow: string;
  readonly pid: number;
  readonly host: string;
}

export interface WorkerStarted {
  readonly type: 'worker-started';
  readonly t: number;
  readonly worker: string;
  readonly deployment: string;
  readonly connector: string;
  readonly platform: string;
  readonly host: string;
  readonly pid: number;
  /** The batch job the worker runs in (connector `slurm`). */
  readonly job?: string;
}

/**
 * Where a queued worker's batch job is (connector `slurm`): submitted and
 * waiting in the queue (`reason`: the scheduler's), or running on `node`.
 * Journalled as it changes, before the worker is ready.
 */
export interface WorkerJob {
  readonly type: 'worker-job';
  readonly t: number;
  readonly worker: string;
  readonly deployment: string;
  readonly connector: string;
  readonly job: string;
  readonly state: 'waiting' | 'running';
  readonly node?: string;
  readonly reason?: string;
}

/**
 * A worker went away or was declared dead (docs/protocol.md §12): revoked,
 * killed, its scratch deleted; `attempts` were in flight on it and run again.
 */
export interface WorkerLost {
  readonly type: 'worker-lost';
  readonly t: number;
  readonly worker: string;
  readonly host: string;
  readonly reason: string;
  readonly attempts: readonly string[];
}

/** A scattered step was expanded into `count` instances. */
export interface StepExpanded {
  readonly type: 'step-expanded';
  readonly t: number;
  readonly step: string;
  readonly count: number;
}

export interface StepStarted {
  readonly type: 'step-started';
  readonly t: number;
  readonly step: string;
  readonly index: number;
  readonly attempt: number;
  readonly worker: string;
  readonly host: string;
  /** The instance hash: task code / command and input contents (engine/hash.ts). */
  readonly hash: string;
  /** Threads the step asked for (`requirements.threads`; absent in journals written before this field): the run report shows it. */
  readonly threads?: number;
}

export interface StepSucceeded {
  readonly type: 'step-succeeded';
  readonly t: number;
  readonly step: string;
  readonly index: number;
  readonly attempt: number;
  readonly hash: string;
  readonly outputs: Readonly<Record<string, PortValue>>;
  /** Encrypted runs: HMAC of step, index, hash and outputs (and keyDigests, when present) under the run hash key (engine/hash.ts `outputsMac`). */
  readonly outputsMac?: string;
  /** Encrypted runs: each output's file-key digest, as the master recorded it (docs/protocol.md §16.3); covered by outputsMac. */
  readonly keyDigests?: Readonly<Record<string, string>>;
  readonly exitStatus: number | null;
  readonly durationMs: number;
  /** Pinned tools the executor checked before exec (docs/protocol.md §10.3): tool, path, SHA-256. */
  readonly tools?: readonly ToolCheck[];
  /** What the attempt used, as the worker reported it (docs/protocol.md §1.3): the worker's word, shown as such. */
  readonly usage?: Usage;
}

/** Resume found an earlier success with the same hash and its outputs intact: not executed again. */
export interface StepReused {
  readonly type: 'step-reused';
  readonly t: number;
  readonly step: string;
  readonly index: number;
  readonly hash: string;
}

export interface StepFailed {
  readonly type: 'step-failed';
  readonly t: number;
  readonly step: string;
  readonly index: number;
  readonly attempt: number;
  readonly exitStatus: number | null;
  readonly signal: string | null;
  readonly message: string;
  readonly stderrTail: string;
  readonly willRetry: boolean;
  readonly durationMs: number;
  /** The attempt was lost with its worker (not a failure of the step; does not use up its retries). */
  readonly workerLost?: boolean;
  /** Pinned tools the executor checked (§10.3); a refused one has `sha256 !== expected`. */
  readonly tools?: readonly ToolCheck[];
  /** What the attempt used, as the worker reported it (§1.3); absent from older journals and workers. */
  readonly usage?: Usage;
}

export interface StepSkipped {
  readonly type: 'step-skipped';
  readonly t: number;
  readonly step: string;
  readonly index: number;
  readonly reason: string;
}

export interface StepCancelled {
  readonly type: 'step-cancelled';
  readonly t: number;
  readonly step: string;
  readonly index: number;
  readonly reason: string;
}

export interface RunFinished {
  readonly type: 'run-finished';
  readonly t: number;
  readonly state: Exclude<RunState, 'running' | 'interrupted'>;
  readonly outputs: Readonly<Record<string, PortValue>>;
  readonly message?: string;
}

/**
 * A key-broker decision of the WCPAC protocol (docs/protocol.md §6, §8, §9):
 * attestation accepted/refused with reason and claims, file-key release (ids
 * and ciphertext hashes, never keys), revocation, executor connection.
 */
export interface Wcpac {
  readonly type: 'wcpac';
  readonly t: number;
  readonly decision: BrokerDecision;
}

export type RunEvent =
  | Wcpac
  | RunStarted
  | RunResumed
  | WorkerStarted
  | WorkerJob
  | WorkerLost
  | StepExpanded
  | StepStarted
  | StepSucceeded
  | StepReused
  | StepFailed
  | StepSkipped
  | StepCancelled
  | RunFinished;

/** An event before the engine stamps it. */
export type NewEvent = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 't'> : never) : never;

export function instanceKey(step: string, index: number): string {
  return `${step}[${index}]`;
}

/** The receipt reads the journal through its own view of these records (src/master/receipt/journal.ts): they must fit it. */
type Fits<A extends B, B> = [A, B];
export type ReceiptViewFits = [
  Fits<RunStarted, Extract<ReceiptRecord, { type: 'run-started' }>>,
  Fits<RunResumed, Extract<ReceiptRecord, { type: 'run-resumed' }>>,
  Fits<RunFinished, Extract<ReceiptRecord, { type: 'run-finished' }>>,
  Fits<WorkerStarted, Extract<ReceiptRecord, { type: 'worker-started' }>>,
  Fits<StepStarted, Extract<ReceiptRecord, { type: 'step-started' }>>,
  Fits<StepSucceeded, Extract<ReceiptRecord, { type: 'step-succeeded' }>>,
];
