/**
 * The `slurm` connector (docs/connectors/slurm.md): every worker slot is one
 * Slurm batch job. Per run and deployment: the options compiled, the run's
 * directory on the shared `workDir` (shared-dir.ts) holding the provisioner,
 * its launch configuration and the sealed executor bundle, and a relay of
 * the master's ports on `masterAddress` (relay.ts). Per slot: a directory
 * there, the platform's command (`platform.launch`, run on the shared
 * copies: what the platform measures is what the node reads; sim serves its
 * evidence socket in the slot's directory, so the sim root stays with the
 * master) submitted with `sbatch --export=NONE` and exactly the worker's
 * environment, the step's threads and memory as `--cpus-per-task`/`--mem`.
 *
 * `launch` resolves once the job runs on a node (while it waits in the queue
 * the caller hears `waiting` through `req.report`); a job Slurm will never
 * start (a pending reason that does not clear) is cancelled and the launch
 * fails naming the deployment, partition and job. `kill` is `scancel`;
 * `close` cancels every job of the run and removes its directory.
 *
 * With `login:` the same happens through a login node over ssh: the Slurm
 * commands, the run's directory under `workDir` on the login node's file
 * system, the staging of ciphertexts and the master's ports (site.ts,
 * login.ts); the master needs neither Slurm's client nor the shared storage.
 */
import { checkSlurmDeployment } from './deployment-check.js';
import type { Connector, LaunchedWorker, LaunchRequest, WorkerExit } from '../connector.js';
import { OperationError } from '../../errors.js';
import { SlurmCluster } from './cluster.js';
import { compileSlurmDeployment, SLURM_OPTION_KEYS, type SlurmDeployment } from './deployment.js';
import type { JobState } from './parse.js';
import { JobPoller } from './poller.js';
import { localSite, loginSite, type Site } from './site.js';
import { RunRegistry } from '../run-registry.js';

/** squeue polls while a job waits or runs: the run notices a job that ended within this (and at once when its connection drops). */
const POLL_MS = 1_000;
const POLL_MAX_MS = 3_000;

interface DeploymentRun {
  readonly options: SlurmDeployment;
  readonly cluster: SlurmCluster;
  /** One squeue poll for every job of the run on this deployment. */
  readonly poller: JobPoller;
  /** The run's files and the master's ports: on this machine, or on the login node (site.ts). */
  readonly site: Site;
}

/** Run id -> deployment -> its prepared state. */
const runs = new RunRegistry<DeploymentRun>();

async function prepare(req: LaunchRequest): Promise<DeploymentRun> {
  // Only the connector's keys: the deployment also carries its platform's (policy) and transfers.
  const options = compileSlurmDeployment(req.deployment, Object.fromEntries(Object.entries(req.options).filter(([k]) => SLURM_OPTION_KEYS.includes(k))));
  for (const d of req.program.dials ?? []) {
    if (d.host !== '127.0.0.1' && d.host !== 'localhost') throw new OperationError(`deployment "${req.deployment}" (slurm): the master listens on ${d.host}:${d.port}; the slurm connector relays loopback ports only`);
  }
  const site = options.login ? await loginSite(req, options) : await localSite(req, options);
  const cluster = new SlurmCluster(options.transport, site.runner ? { runner: site.runner } : {});
  const poller = new JobPoller(cluster, { intervalMs: POLL_MS, maxIntervalMs: POLL_MAX_MS, onError: (e) => process.stderr.write(`sealflow: ${e.message}\n`) });
  return { options, cluster, poller, site };
}

function deploymentRun(req: LaunchRequest): Promise<DeploymentRun> {
  const byDeployment = runs.of(req.runId);
  let p = byDeployment.get(req.deployment);
  if (!p) {
    p = prepare(req);
    byDeployment.set(req.deployment, p);
    p.catch(() => byDeployment.delete(req.deployment));
  }
  return p;
}

/** The platform's command with the master's loopback ports replaced by the relayed address, and `node` by the nodes' own. */
function jobArgv(req: LaunchRequest, run: DeploymentRun, command: string, args: readonly string[]): string[] {
  if (command !== process.execPath) throw new OperationError(`worker ${req.slot} (deployment "${req.deployment}", slurm): platform ${req.platform.name} starts ${command}, which the slurm connector cannot run in a job in this version`);
  const dialled = new Map((req.program.dials ?? []).map((d) => [`${d.host}:${d.port}`, `${run.site.address}:${d.port}`]));
  return [run.options.nodePath, ...args.map((a) => dialled.get(a) ?? a)];
}

async function launch(req: LaunchRequest): Promise<LaunchedWorker> {
  if (req.ipc) throw new OperationError(`worker ${req.slot} (deployment "${req.deployment}"): the slurm connector starts attested (or encrypted) workers only; plain runs use local deployments`);
  const run = await deploymentRun(req);
  const cmd = await run.site.slot(req);
  const slotDir = cmd.dir;
  const cleanup = () => void cmd.cleanup();
  let jobId: string | undefined;
  try {
    // The node's own HOME, not the master's.
    const env = Object.fromEntries(Object.entries(cmd.env).filter(([k]) => k !== 'HOME'));
    const job = await run.cluster.submit({
      argv: jobArgv(req, run, cmd.command, cmd.args),
      env,
      chdir: slotDir,
      outputDir: run.site.dir,
      ...(req.resources?.threads !== undefined ? { threads: req.resources.threads } : {}),
      ...(req.resources?.memory !== undefined ? { memory: req.resources.memory } : {}),
    });
    jobId = job.id;
    const id = job.id;
    req.report?.({ job: id, state: 'waiting' });
    const at = `worker ${req.slot} (deployment "${req.deployment}", slurm job ${id})`;

    let onRunning!: (node: string) => void;
    let onNever!: (e: Error) => void;
    const running = new Promise<string>((res, rej) => ((onRunning = res), (onNever = rej)));
    running.catch(() => undefined);
    let started = false;
    let resolveExit!: (x: WorkerExit) => void;
    const exited = new Promise<WorkerExit>((r) => (resolveExit = r)).then(async (x) => {
      cleanup();
      // The job's own diagnostics (the provisioner's and the executor's; a task's output is sealed).
      const text = await run.site.takeOutput([job.stdout, job.stderr]);
      if (text !== '') process.stderr.write(text);
      return x;
    });
    const unwatch = run.poller.watch(id, (st: JobState) => {
      if (st.kind === 'pending') {
        const stuck = run.cluster.stuck(id, st);
        if (stuck !== undefined) {
          void run.cluster.cancel(id).catch(() => undefined);
          onNever(new OperationError(stuck));
        } else req.report?.({ job: id, state: 'waiting', reason: st.reason });
      } else if (st.kind === 'running') {
        if (!started) req.report?.({ job: id, state: 'running', node: st.node });
        started = true;
        onRunning(st.node);
      } else {
        onNever(new OperationError(`${at} ended before it ran (${st.slurmState ?? 'no longer listed'})`));
        resolveExit({ code: null, signal: st.slurmState === 'CANCELLED' ? 'SIGKILL' : null });
      }
    });
    let node: string;
    try {
      node = await running;
    } catch (e) {
      unwatch();
      await run.cluster.cancel(id).catch(() => undefined);
      throw e;
    }
    const kill = () => void run.cluster.cancel(id).catch((e: Error) => process.stderr.write(`sealflow: ${at}: ${e.message}\n`));
    return {
      host: node,
      pid: 0,
      job: id,
      stage: run.site.stage,
      exited,
      kill,
      // Slurm signals every process of the job when it is cancelled: nothing is left to reap.
      reap: () => undefined,
      wipe: (dirs) => run.site.wipe(dirs),
    };
  } catch (e) {
    if (jobId !== undefined) await run.cluster.cancel(jobId).catch(() => undefined);
    cleanup();
    throw e;
  }
}

/** Ends run `runId` on every deployment: every job of the run cancelled, relays closed, its directory removed. */
async function close(runId: string): Promise<void> {
  await runs.close(runId, async (run) => {
    run.poller.stop();
    await run.cluster.cancelAll().catch((e: Error) => process.stderr.write(`sealflow: ${e.message}\n`));
    await run.site.close();
  });
}

export const slurmConnector: Connector = { name: 'slurm', launch, close, check: checkSlurmDeployment };
