/**
 * A connector decides *where* workers run: `local` (child processes of the
 * master), later `ssh` and `slurm`. For one deployment it starts the workers,
 * ships what they need (the executor for platform `none`; the provisioner
 * and the encrypted executor bundle for attested platforms), launches the
 * program under the deployment's TEE platform (`platform.launch`), and hands
 * back one message channel per worker. What travels on the channel is the
 * protocol's business (src/protocol/), not the connector's.
 */
import type { Channel } from '../protocol/channel.js';
import type { MasterToWorker, WorkerToMaster } from '../protocol/execution.js';
import type { TeePlatform } from '../tee/platform.js';

export type ConnectorName = 'local' | 'ssh' | 'slurm';

/** The program a worker host runs, and the files it needs beside it. */
export interface WorkerProgram {
  /** Absolute path (on the master) of the entry file: the executor, or the provisioner for attested platforms. */
  readonly entry: string;
  /** Other files to ship with it (e.g. the encrypted executor bundle). Local workers read them in place. */
  readonly files: readonly string[];
  readonly args: readonly string[];
}

export interface StartRequest {
  readonly runId: string;
  readonly deployment: string;
  /** How many workers to start. */
  readonly count: number;
  /** Number of the first worker (ids `<deployment>-<n>`); default 1. Replacements for dead workers continue the numbering. */
  readonly firstIndex?: number;
  readonly platform: TeePlatform;
  readonly program: WorkerProgram;
  /** Connector-specific options from the run configuration (e.g. ssh host); already validated. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Environment of the worker program (fixed; nothing else is inherited). */
  readonly env: Readonly<Record<string, string>>;
  /** Where the worker may keep scratch space (on the worker host). */
  readonly workDir: string;
}

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: string | null;
}

export interface WorkerHandle {
  /** `<deployment>-<n>`, unique in the run. */
  readonly id: string;
  /** The worker host's name, as the worker reported it. */
  readonly host: string;
  readonly pid: number;
  readonly channel: Channel<MasterToWorker, WorkerToMaster>;
  /** Resolves when the worker is gone (exited, killed, connection lost). */
  readonly exited: Promise<WorkerExit>;
  /** Forcefully stops the worker (SIGKILL of its process group where possible). */
  kill(): void;
  /**
   * Stops process groups the worker reported (`started` messages) and may
   * have left behind when it died. Called only after the worker is gone.
   */
  reap(pgids: readonly number[]): void;
  /**
   * Deletes scratch directories of attempts the worker had in flight when it
   * died (on the worker's host). A worker killed with SIGKILL cannot clean up
   * after itself (docs/protocol.md §12.3). Called only after the worker is gone.
   */
  wipe(dirs: readonly string[]): void;
  /**
   * Revokes the worker's credentials (attested workers: its run-CA
   * certificate and its epoch, docs/protocol.md §12); absent where a worker
   * holds none (platform `none`).
   */
  revoke?(reason: string): void;
}

export interface Connector {
  readonly name: ConnectorName;
  /**
   * Starts `req.count` workers and resolves when every one has said `ready`
   * on its channel. Rejects (after stopping any it started) if one fails to
   * start within the connector's timeout; the message names the worker and host.
   */
  start(req: StartRequest): Promise<WorkerHandle[]>;
}
