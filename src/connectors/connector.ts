/**
 * A connector decides *where* workers run: `local` (child processes of the
 * master), `ssh` (hosts reached with OpenSSH), `slurm` (batch jobs). It knows nothing of the protocol: for
 * one worker slot it makes a fresh directory on the worker host (`local`:
 * only when there are files to ship), ships the program and the files it
 * needs there (the executor for plain workers; the provisioner, its launch
 * configuration and the encrypted executor bundle for the others), runs the
 * command the deployment's TEE platform gives (`platform.launch`) and hands
 * back the process.
 *
 * Launching a process is kept apart from the worker's message channel: a
 * local plain worker talks over the connector's IPC pipe (`ipc: true`);
 * every other worker connects to the master's executor port itself
 * (docs/protocol.md §9), and its channel comes from the master.
 */
import type { Channel } from '../protocol/channel.js';
import type { MasterToWorker, WorkerToMaster } from '../protocol/execution.js';
import type { TeePlatform } from '../tee/platform.js';

export type ConnectorName = 'local' | 'ssh' | 'slurm';

/** The program a worker host runs, and the files it needs beside it. */
export interface WorkerProgram {
  /** Absolute path (on the master) of the entry file: the executor, or the provisioner. */
  readonly entry: string;
  /** Files shipped beside it into the worker's directory: name there -> path on the master. Names are opaque. */
  readonly files: Readonly<Record<string, string>>;
  /** Its arguments, given the worker's directory on the worker host (where `files` are). */
  readonly args: (dir: string) => readonly string[];
  /**
   * The master's ports the program dials (the key broker, the executor
   * port), as the args name them. A connector whose hosts cannot dial the
   * master forwards each from the same loopback port on the far side
   * (`reach: ssh-tunnel`).
   */
  readonly dials?: readonly { readonly host: string; readonly port: number }[];
}

export interface LaunchRequest {
  readonly runId: string;
  /** The worker slot (`<deployment>-<n>`, unique in the run). */
  readonly slot: string;
  readonly deployment: string;
  /** Connector-specific options from the run configuration (e.g. ssh host); already validated. */
  readonly options: Readonly<Record<string, unknown>>;
  /** How the program starts on the worker host. */
  readonly platform: TeePlatform;
  readonly program: WorkerProgram;
  /**
   * Environment of the worker program (fixed; nothing else is inherited).
   * An attested worker's includes its slot's launch ticket (`SEALFLOW_TICKET`,
   * docs/protocol.md §3a): a connector passes it on as it is, like the rest;
   * it is no secret from the host, and never a key.
   */
  readonly env: Readonly<Record<string, string>>;
  /** Connectors whose worker host is the master's machine (`local`): where the worker's directory is made. */
  readonly localBase?: string;
  /** The worker talks over the connector's IPC pipe (local plain workers only). */
  readonly ipc?: boolean;
  /** What the steps placed on the deployment need at most (batch connectors ask their scheduler for it). */
  readonly resources?: { readonly threads?: number; readonly memory?: number };
  /** Where a batch job is (a connector that queues workers reports each change: journal and progress display). */
  readonly report?: (s: LaunchReport) => void;
}

/** A queued worker's job: submitted and waiting in the queue, or running on a node. */
export interface LaunchReport {
  readonly job: string;
  readonly state: 'waiting' | 'running';
  /** Pending: the scheduler's reason (`Resources`, `Priority`, …). */
  readonly reason?: string;
  /** Running: the node. */
  readonly node?: string;
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
  /** The batch job the worker runs in (`slurm`), if any. */
  readonly job?: string;
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
  /**
   * Hosts whose outputs are copied back (src/master/staging.ts): `h` hears
   * of each attempt the worker has finished while its result is still on
   * the way; the worker may take another attempt meanwhile, the attempt
   * stays in flight until its result arrives.
   */
  onVacated?(h: (id: string) => void): void;
}

/**
 * Copies ciphertext between the master and a worker host that does not
 * share the master's disk (src/master/staging.ts). Paths on the host are
 * opaque; only ciphertext is copied.
 */
export interface Stager {
  /** Copies a file of the master to the host (once per file); its path there. */
  put(localFile: string): Promise<string>;
  /** A file already on the host (data in place): `hostPath` once checked to be a regular file of `size` bytes; else an error naming the host and path. */
  inPlace?(hostPath: string, size: number): Promise<string>;
  /** Which deployment and host this is, for messages (`deployment hpc, host node1`). */
  readonly where?: string;
  /** A fresh opaque path on the host (not created). */
  fresh(): string;
  /** Copies every file under `remoteDir` (if it exists) into `localDir`, keeping relative paths. */
  getTree(remoteDir: string, localDir: string): Promise<void>;
  /** Copies one file from the host, if it exists there. */
  getFile(remoteFile: string, localFile: string): Promise<void>;
  /**
   * Optional, one round trip: `getTree(remoteDir, localDir)`, `getFile` of
   * each `[remote, local]` of `files`, then deletes `discard` on the host.
   */
  collect?(remoteDir: string, localDir: string, files: readonly (readonly [string, string])[], discard: readonly string[]): Promise<void>;
  /**
   * The scratch path a worker on this host is assigned instead of
   * `assigned` (the master's): its parent gains a random directory of the
   * host (hosts may share /dev/shm and reuse pids in their own PID
   * namespaces) and its name is opaque (no step name on the host).
   */
  scratch(assigned: string): string;
  /** Deletes paths on the host (in the background). */
  discard(remote: readonly string[]): void;
  /**
   * False once the connection to the host is gone (then its workers are
   * being lost, and a copy that failed is part of that loss, not the step's
   * failure). Absent: always connected.
   */
  connected?(): Promise<boolean>;
}

/** A launched worker process, as the connector sees it (not yet ready: the caller waits for `ready`). */
export interface LaunchedWorker {
  /** The worker host (as the connector reached it). */
  readonly host: string;
  /** The launched process's id on its host (0: not known to the connector, e.g. inside a batch job). */
  readonly pid: number;
  /** The batch job the worker runs in (`slurm`), if any. */
  readonly job?: string;
  /** Resolves when the process is gone (exited, killed, connection lost); a directory made for it is removed by then. */
  readonly exited: Promise<WorkerExit>;
  /** Forcefully stops the process (SIGKILL of its process group where possible). */
  kill(): void;
  /** Stops process groups on the worker host (those the worker reported in `started`). */
  reap(pgids: readonly number[]): void;
  /** Deletes directories on the worker host (scratch a killed worker could not wipe). */
  wipe(dirs: readonly string[]): void;
  /** Set when the worker's host does not share the master's disk: how ciphertexts reach it and come back. */
  readonly stage?: Stager;
  /**
   * The address other worker hosts reach this worker's host at (§15.8), when
   * its data port listens there (`transfers: direct` on a host that does not
   * share the master's network view, e.g. `ssh`): the master names it to
   * consumers instead of the address the worker reports.
   */
  readonly dataHost?: string;
  /** With `ipc: true`: the worker's message channel over the connector's pipe. */
  readonly ipc?: Channel<MasterToWorker, WorkerToMaster>;
}

/** A program the deployment's command steps run, as `sealflow check` looks for it on the worker host. */
export interface ToolNeed {
  readonly name: string;
  /** The run configuration's pin: the SHA-256 the program must have, and where it must be if the pin says. */
  readonly pin?: { readonly sha256: string; readonly path?: string };
  /** Where the step names the program by path (`/opt/bin/tool`) rather than by name. */
  readonly at?: string;
}

/** What `sealflow check` asks a connector about one deployment (docs/connectors/check.md). */
export interface CheckRequest {
  readonly deployment: string;
  /** The deployment's options, validated. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly platform: TeePlatform;
  /** Programs the steps placed on the deployment run, searched on `path` (PATH syntax). */
  readonly tools: readonly ToolNeed[];
  readonly path: string;
  /** The most threads and memory (bytes) one step placed there asks for. */
  readonly threads?: number;
  readonly memory?: number;
}

/** What the connector found: facts worth showing ("node v20.19.2"), and problems, each one line saying what to do. */
export interface CheckResult {
  readonly facts: readonly string[];
  readonly problems: readonly string[];
}

export interface Connector {
  readonly name: ConnectorName;
  /**
   * `sealflow check`: reaches the deployment's hosts and checks what its
   * workers would need there (node, the platform's prerequisites, the tools
   * and their pins, the scheduler's limits), running nothing and writing
   * nothing. Problems are lines without the deployment's name (the caller
   * adds it), naming the host or job.
   */
  check?(req: CheckRequest): Promise<CheckResult>;
  /**
   * Makes the worker's directory on its host, ships `req.program` there and
   * runs `req.platform.launch(...)`'s command; resolves once the process is
   * running (not when it is ready). Rejects with a message naming the slot
   * and host if it cannot.
   */
  launch(req: LaunchRequest): Promise<LaunchedWorker>;
  /** Ends whatever the connector holds open for run `runId` (connections, run directories); idempotent. */
  close?(runId: string): Promise<void>;
}
