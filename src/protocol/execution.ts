/**
 * The execution channel (docs/protocol.md §1): how the master hands step
 * attempts to an executor and how the executor reports back. One attempt is
 * identified by `id` (`step[index]#attempt`).
 */
import type { PortType, PortValue } from '../workflow/model.js';
import { HEARTBEAT_SPEC, type HeartbeatMsg } from './heartbeat.js';
import { arrayOf, bool, int, json, literal, nullable, num, recordOf, shape, str, tagged, union, type Check } from './schema.js';

export type { HeartbeatMsg } from './heartbeat.js';

/** What an attempt runs. */
export type ExecSpec =
  | {
      readonly kind: 'command';
      readonly argv: readonly string[];
      readonly shell: boolean;
      readonly stdout?: string;
      readonly env: Readonly<Record<string, string>>;
      /** Output id -> glob relative to the scratch directory (may contain `$(...)`). */
      readonly globs: Readonly<Record<string, string>>;
      /** The fixed PATH the program is resolved on and runs with (§10.3); absent: the executor's own (plain runs only). */
      readonly path?: string;
      /** Tool name -> pinned SHA-256 (and absolute path), checked before exec (§10.3): the pins of the programs this step runs. */
      readonly tools?: Readonly<Record<string, ToolPinSpec>>;
    }
  | {
      /** A CWL process (docs/workflow-format.md "CWL"): the loaded document; the worker runs it. */
      readonly kind: 'cwl';
      readonly process: unknown;
    }
  | {
      readonly kind: 'task';
      /** Absolute path of the run's task bundle (one ESM file). */
      readonly bundle: string;
      /** The export of the bundle that is this step's `defineTask` value. */
      readonly export: string;
      /** The task's name as the workflow spells it (`./tasks/map.ts#map` -> `map`), for messages. */
      readonly name: string;
    };

/** A run configuration pin as an assignment carries it (docs/protocol.md §10.3). */
export interface ToolPinSpec {
  readonly sha256: string;
  readonly path?: string;
}

/**
 * What the executor checked before it executed a tool (§10.3): evidence for
 * the journal and the receipt (§14.7), never data. A pinned tool has
 * `expected`; an unpinned program run on the fixed PATH is recorded without
 * it (hashed when resolved, not checked against anything).
 */
export interface ToolCheck {
  readonly tool: string;
  /** The resolved absolute file that was hashed. */
  readonly path: string;
  /** Its SHA-256 (hex). */
  readonly sha256: string;
  /** The pinned SHA-256; equal to `sha256` unless the check refused the exec. Absent: the program was not pinned. */
  readonly expected?: string;
}

export interface AssignMsg {
  readonly type: 'assign';
  readonly id: string;
  /** `step` or `step[index]` for a scatter instance: for messages and ctx.stepId. */
  readonly label: string;
  readonly exec: ExecSpec;
  readonly inputs: Readonly<Record<string, PortValue>>;
  readonly outputs: readonly { readonly id: string; readonly type: PortType; readonly optional: boolean }[];
  readonly threads: number;
  readonly memory?: number;
  /** Private working directory of this attempt; the executor creates it and removes it afterwards. */
  readonly scratchDir: string;
  /** Where the attempt's file outputs are moved to (created, emptied first). */
  readonly outDir: string;
  /** Log file base: `<logBase>.out` (stdout), `<logBase>.err` (stderr and task log lines). */
  readonly logBase: string;
}

/** Stop an attempt: its process group gets SIGTERM, then SIGKILL after a grace period; a task's signal aborts. */
export interface CancelMsg {
  readonly type: 'cancel';
  readonly id: string;
}

/** Finish the running attempts' cancellation, then exit. */
export interface ShutdownMsg {
  readonly type: 'shutdown';
}

export type MasterToWorker = AssignMsg | CancelMsg | ShutdownMsg | HeartbeatMsg;

/** First message of an executor: it is up and accepts assignments. */
export interface ReadyMsg {
  readonly type: 'ready';
  readonly pid: number;
  readonly host: string;
}

/**
 * A command attempt's process started; `pgid` is its process group (the
 * command leads its own). The master keeps it to stop what a worker that died
 * (e.g. killed by the OOM killer) left behind. Task attempts send none.
 */
export interface StartedMsg {
  readonly type: 'started';
  readonly id: string;
  readonly pgid: number;
}

/**
 * What an attempt used, as the worker measured it (docs/report.md "Resource
 * usage"): reported by the worker, never checked by the master, shown only
 * as the worker's word. Absent from older workers and where the worker could
 * not measure.
 */
export interface Usage {
  /** CPU time, user + system, in milliseconds. */
  readonly cpuMs: number;
  /** Peak resident memory in KiB (absent: no sample saw the command running). */
  readonly maxRssKiB?: number;
  /** The most threads seen at once (command steps only; absent as maxRssKiB is). */
  readonly threads?: number;
}

/** The bounds a `usage` must keep (whole numbers from 0): about 34 years of CPU, 1 PiB, the kernel's largest pid_max. */
export const USAGE_LIMITS = { cpuMs: 2 ** 40, maxRssKiB: 2 ** 40, threads: 4_194_304 } as const;

export interface SucceededMsg {
  readonly type: 'succeeded';
  readonly id: string;
  readonly outputs: Readonly<Record<string, PortValue>>;
  readonly exitStatus: number | null;
  readonly durationMs: number;
  /** Pinned tools checked before exec (§10.3). */
  readonly tools?: readonly ToolCheck[];
  /** What the attempt used, as the worker measured it (§1.3). */
  readonly usage?: Usage;
  /**
   * Set by the master after its checks, never sent by a worker (not in the
   * schema, so refused from one): each output's file-key digest (§16.3).
   */
  readonly keyDigests?: Readonly<Record<string, string>>;
}

export interface FailedMsg {
  readonly type: 'failed';
  readonly id: string;
  readonly exitStatus: number | null;
  readonly signal: string | null;
  /** One line: what failed. */
  readonly message: string;
  /** The last lines of the attempt's stderr (or a task's error stack). */
  readonly stderrTail: string;
  readonly durationMs: number;
  /** Pinned tools checked before exec (§10.3); a refused one has `sha256 !== expected`. */
  readonly tools?: readonly ToolCheck[];
  /** What the attempt used, as the worker measured it (§1.3). */
  readonly usage?: Usage;
}

export interface CancelledMsg {
  readonly type: 'cancelled';
  readonly id: string;
}

export type WorkerToMaster = ReadyMsg | StartedMsg | SucceededMsg | FailedMsg | CancelledMsg | HeartbeatMsg;

/**
 * docs/protocol.md "Framing and limits": the largest frame on the execution
 * channel. An assignment names every input file with its wrapped key and
 * hash (~300 bytes each), and a result carries the step's port values, so
 * this is large; only a peer holding a run certificate can send one.
 */
export const MAX_FRAME_EXECUTION = 16 * 1024 * 1024;

// One spec per message type (docs/protocol.md §1.2, §1.3), checked before any handler sees a message.
const toolPin = shape({ sha256: str }, { path: str });
const execSpec = tagged('kind', {
  command: shape({ kind: literal('command'), argv: arrayOf(str), shell: bool, env: recordOf(str), globs: recordOf(str) }, { stdout: str, path: str, tools: recordOf(toolPin) }),
  task: shape({ kind: literal('task'), bundle: str, export: str, name: str }),
  cwl: shape({ kind: literal('cwl'), process: json }),
});
const toolCheck = shape({ tool: str, path: str, sha256: str }, { expected: str });
const usage = shape({ cpuMs: int(0, USAGE_LIMITS.cpuMs) }, { maxRssKiB: int(0, USAGE_LIMITS.maxRssKiB), threads: int(0, USAGE_LIMITS.threads) });

/** The fields of `assign` (the sealed channel adds `sealed`, data-port.ts). */
export const ASSIGN_FIELDS: Readonly<Record<string, Check>> = {
  id: str,
  label: str,
  exec: execSpec,
  inputs: recordOf(json),
  outputs: arrayOf(shape({ id: str, type: json, optional: bool })),
  threads: num,
  scratchDir: str,
  outDir: str,
  logBase: str,
};
export const ASSIGN_OPTIONAL: Readonly<Record<string, Check>> = { memory: num };

export const MASTER_TO_WORKER: { readonly [K in MasterToWorker['type']]: Check } = {
  assign: shape(ASSIGN_FIELDS, ASSIGN_OPTIONAL),
  cancel: shape({ id: str }),
  shutdown: shape({}),
  heartbeat: HEARTBEAT_SPEC,
};

export const WORKER_TO_MASTER: { readonly [K in WorkerToMaster['type']]: Check } = {
  ready: shape({ pid: int(0), host: str }),
  started: shape({ id: str, pgid: int() }),
  succeeded: shape({ id: str, outputs: recordOf(json), exitStatus: nullable(int()), durationMs: num }, { tools: arrayOf(toolCheck), usage }),
  failed: shape({ id: str, exitStatus: nullable(int()), signal: nullable(str), message: str, stderrTail: str, durationMs: num }, { tools: arrayOf(toolCheck), usage }),
  cancelled: shape({ id: str }),
  heartbeat: HEARTBEAT_SPEC,
};

export const validateMasterToWorker = union<MasterToWorker>(MASTER_TO_WORKER);
export const validateWorkerToMaster = union<WorkerToMaster>(WORKER_TO_MASTER);
