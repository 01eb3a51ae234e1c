/**
 * The engine's one entry point for a planned run (DESIGN.md, "The path of
 * one run"): `sealflow run` and the benchmarks call it with a run that
 * passed every check (src/cli/run-plan.ts) and get its outcome back.
 *
 * It creates the run's master with the run's settings, starts the workers
 * (overlapping the rest of the set-up), loads the receipt's signing key (a
 * missing passphrase stops them before any step runs), has the master admit the
 * inputs while they are provisioned, runs the workflow with a journal, and
 * on success publishes the outputs with a signed receipt.
 */
import path from 'node:path';
import type { RunStarted, RunEvent } from './events.js';
import { stageOutputs } from './publish.js';
import { recordPublication } from './publication.js';
import { newRunId } from './run-dir.js';
import { abandonWorkers, executeRun, runMaster, startWorkers, type RunOutcome } from './run.js';
import { usedDeployments } from './placement.js';
import type { ToolsSettings } from './tools.js';
import type { EngineDeployment, WorkerPool } from './workers.js';
import type { EarlyWorkers } from './early-workers.js';
import type { MasterSession } from '../master/master-session.js';
import type { PortValue, Step, Workflow } from '../workflow/model.js';
import { prepareReceipt, type PendingReceipt } from './run-receipt.js';
import { RECEIPT_FILE } from '../master/receipt/model.js';
import type { Advertise } from '../master/advertise.js';
import type { DataInput } from './data-inputs.js';

/** A run that passed every check: what the run needs to start (src/cli/run-plan.ts makes one). */
export interface PlannedRun {
  readonly workflow: Workflow;
  /** The run configuration file, if there is one. */
  readonly configFile?: string;
  /** `advertise:` — where the master listens and workers dial (default loopback). */
  readonly advertise?: Advertise;
  readonly deployments: readonly EngineDeployment[];
  /** The deployment each step is placed on. */
  readonly placement: (s: Step) => string;
  /** `--platform` of the local deployments (given, or kept from the run being resumed). */
  readonly platform?: string;
  readonly tools: ToolsSettings;
  readonly inputs: Record<string, PortValue>;
  /** Inputs already on a deployment's hosts, admitted from its signed data manifest (data-inputs.ts). */
  readonly data?: ReadonlyMap<string, DataInput>;
  readonly concurrency: number;
  readonly keepGoing: boolean;
  readonly encrypt: boolean;
  /** The first event of the run being resumed. */
  readonly base?: RunStarted;
}

export interface WorkflowRunOptions {
  readonly stateDir: string;
  /** Continue this run (of the same workflow). */
  readonly resume?: string;
  /** The owner's recipient (`age1…`) results are encrypted to; default: the local owner identity. */
  readonly owner?: string;
  /** Where the outputs are published (default: the run directory's `outputs/`). */
  readonly out?: string;
  /** The master passphrase (the receipt is signed with the master signing key). */
  readonly passphrase: () => Promise<string | undefined>;
  /** Aborting cancels the run (SIGINT/SIGTERM). */
  readonly signal?: AbortSignal;
  /** Warnings (default: stderr). */
  readonly warn?: (m: string) => void;
  /** A plain run's workers, already starting (early-workers.ts), and its id. */
  readonly early?: EarlyWorkers;
}

export interface RunEvents {
  /** Every event, as it is journalled (progress display, --json). */
  readonly onEvent?: (e: RunEvent) => void;
}

/** A run's outcome; a succeeded run's outputs as published, with its signed receipt. */
export interface WorkflowOutcome extends RunOutcome {
  readonly published?: { readonly dir: string; readonly outputs: Readonly<Record<string, PortValue>>; readonly receipt: string };
}

export async function runWorkflow(plan: PlannedRun, options: WorkflowRunOptions, events: RunEvents = {}): Promise<WorkflowOutcome> {
  const warn = options.warn ?? ((m: string) => process.stderr.write(m));
  const { workflow } = plan;
  const runId = options.early?.runId ?? options.resume ?? newRunId();
  let workers: Promise<WorkerPool> | undefined = options.early?.workers;
  let master: MasterSession;
  let used: EngineDeployment[];
  // The run receipt is signed by the master signing key: loaded before the run begins, so a missing passphrase
  // stops the workers before any step, run directory or journal exists.
  let receipt: PendingReceipt;
  try {
    // Results of attested deployments are encrypted to the owner; a resumed encrypted run's master reuses its run secrets.
    master = runMaster(workflow, runId, options.stateDir, { ...(options.owner !== undefined ? { owner: options.owner } : {}), ...(plan.advertise !== undefined ? { advertise: plan.advertise } : {}), ...(plan.data ? { data: plan.data } : {}), warn });
    used = usedDeployments(workflow, plan.deployments, plan.placement);
    // The workers start first (if they have not): their start (a process each) overlaps the loading of the signing key.
    workers ??= startWorkers(master, used);
    receipt = await prepareReceipt({ workflowFile: workflow.file, inputs: plan.inputs, ...(plan.data ? { dataSigners: new Map([...plan.data].map(([id, d]) => [id, d.signer])) } : {}), passphrase: options.passphrase, warn });
  } catch (e) {
    if (workers) abandonWorkers(workers);
    throw e;
  }
  // Encrypted runs: the master encrypts the inputs while the workers are provisioned (not when the first step needs them).
  if (!plan.base && used.some((d) => d.encrypt === true || d.platform !== 'none')) master.preadmit(plan.inputs);
  const outcome = await executeRun({
    workflow,
    inputs: plan.inputs,
    stateDir: options.stateDir,
    deployments: plan.deployments,
    deploymentFor: plan.placement,
    runId,
    workers,
    master,
    concurrency: plan.concurrency,
    keepGoing: plan.keepGoing,
    ...(plan.configFile !== undefined ? { configFile: plan.configFile } : {}),
    ...(plan.platform !== undefined ? { platform: plan.platform } : {}),
    encrypted: plan.encrypt,
    tools: plan.tools,
    ...(options.resume !== undefined ? { resumeId: options.resume } : {}),
    ...(events.onEvent !== undefined ? { onEvent: events.onEvent } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  if (outcome.state !== 'succeeded') return outcome;
  // Outputs, outputs.json and the receipt are staged and renamed into place only once the receipt is signed:
  // a run or resume that fails leaves the previous ones as they were.
  const outDir = path.resolve(options.out ?? outcome.runDir.outputs);
  const staged = stageOutputs(outcome.outputs, outDir);
  try {
    await receipt.write({ runDir: outcome.runDir, outDir: staged.dir, published: staged.staged });
    staged.commit();
  } catch (e) {
    staged.discard();
    throw e;
  }
  recordPublication(outcome.runDir, outDir);
  return { ...outcome, published: { dir: outDir, outputs: staged.published, receipt: path.join(outDir, RECEIPT_FILE) } };
}
