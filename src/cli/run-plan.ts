/**
 * Everything `sealflow run` checks before it starts anything (no worker, no
 * run directory, no journal line): the workflow, the run configuration and
 * its policies, the platforms, the programs commands run, the inputs and the
 * flags — for a fresh run and for `--resume` alike. A resume loads and checks
 * the workflow and the inputs exactly as a fresh run does, and must name the
 * same workflow as the run it continues (src/engine/workflow-identity.ts).
 * Every error is an InputError (exit 2).
 */
import path from 'node:path';
import { InputError } from '../errors.js';
import type { RunStarted } from '../engine/events.js';
import { summarize } from '../engine/inspect.js';
import { readJournal } from '../engine/journal.js';
import { checkEncryptedResume } from '../master/run-secrets.js';
import { RunDir } from '../engine/run-dir.js';
import type { PlannedRun } from '../engine/run-workflow.js';
import { place, platformSatisfies, usedDeployments } from '../engine/placement.js';
import { WorkerPool, type EngineDeployment } from '../engine/workers.js';
import { commandCheckPath, type ToolsSettings } from '../engine/tools.js';
import { checkSameWorkflow } from '../engine/workflow-identity.js';
import { runStartedOf } from '../engine/resume-record.js';
import { checkLocalPins } from '../engine/tool-precheck.js';
import { checkTasks, loadInputs, loadWorkflow } from '../workflow/index.js';
import { resolveDataInputs } from '../engine/data-inputs.js';
import { loadRunConfig } from '../engine/config/load-run-config.js';
import type { PortValue, Workflow } from '../workflow/model.js';
import type { PlatformKind } from '../engine/config/run-config.js';
import { LAUNCHABLE_PLATFORMS } from '../tee/index.js';
import { loadPolicy } from '../attestation/policy-load.js';
import { checkNoEncrypt, checkTransfers } from './run-encryption.js';

export interface RunOpts {
  inputs?: string;
  input: Record<string, string>;
  config?: string;
  resume?: string;
  keepGoing?: boolean;
  json?: boolean;
  quiet?: boolean;
  concurrency?: string;
  stateDir: string;
  out?: string;
  owner?: string;
  platform?: string;
  /** false with --no-encrypt (platform none on local deployments only). */
  encrypt: boolean;
}

/** A run that passed every check: what the run needs to start (the engine's PlannedRun, src/engine/run-workflow.ts). */
export interface RunPlan extends PlannedRun {
  /** `--platform` of the local deployments (given, or kept from the run being resumed). */
  readonly platform?: PlatformKind;
}

/** The platforms `--platform` selects (for local deployments): those this version launches (src/tee/index.ts). */
export const RUN_PLATFORMS: readonly PlatformKind[] = LAUNCHABLE_PLATFORMS;

/** `--platform none|sim`: overrides the platform of local deployments only. */
function platformFlag(v: string | undefined): PlatformKind | undefined {
  if (v === undefined) return undefined;
  if (!(RUN_PLATFORMS as readonly string[]).includes(v)) throw new InputError(`--platform ${v}: expected ${RUN_PLATFORMS.join(' or ')} (it overrides local deployments only)`);
  return v as PlatformKind;
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${flag} ${text}: expected a whole number of at least 1`);
  return n;
}

/** A deployment's `policy:` file is relative to the run configuration that names it. */
export function withPolicyPath(options: Readonly<Record<string, unknown>>, configFile: string): Readonly<Record<string, unknown>> {
  const p = options['policy'];
  if (p === undefined) return options;
  if (typeof p !== 'string') throw new InputError(`${configFile}: a deployment's policy must be a file path (written by "sealflow policy init")`);
  const file = path.resolve(path.dirname(configFile), p);
  loadPolicy(file); // an invalid policy is an input error now, before any worker starts
  return { ...options, policy: file };
}

/** What a resumed run starts from: its journal's first event, and the workflow file it last ran. */
function resumeBase(stateDir: string, id: string): { started: RunStarted; lastWorkflow: string; succeeded: boolean } {
  const dir = new RunDir(stateDir, id);
  if (!dir.exists()) throw new InputError(`--resume ${id}: no such run in ${stateDir} (see \`sealflow runs\`; use --state-dir if it lives elsewhere)`);
  const { events, tornTail } = readJournal(dir.journal);
  const first = runStartedOf(events, dir.journal, id);
  const s = summarize(id, events, tornTail);
  if (s.state === 'running') throw new InputError(`--resume ${id}: the run is still running (its master is alive); stop it first`);
  const resumed = events.findLast((e) => e.type === 'run-resumed');
  const lastWorkflow = resumed?.type === 'run-resumed' && typeof resumed.workflow === 'string' ? resumed.workflow : first.workflow;
  return { started: first, lastWorkflow, succeeded: s.state === 'succeeded' };
}

/** Loads and checks everything `sealflow run` needs; throws InputError (exit 2) having started and written nothing. */
export async function planRun(flow: string | undefined, opts: RunOpts, preloaded?: { workflow: Workflow; inputs: Record<string, PortValue> }): Promise<RunPlan> {
  const resumed = opts.resume !== undefined ? resumeBase(opts.stateDir, opts.resume) : undefined;
  const base = resumed?.started;
  const flowPath = flow ?? resumed?.lastWorkflow;
  if (flowPath === undefined) throw new InputError('run: give a workflow (flow.yaml or its directory), or --resume ID');

  // A CWL document arrives loaded, with its job order (src/cli/cwl/sealed.ts).
  const workflow = preloaded?.workflow ?? (await loadWorkflow(flowPath));
  if (opts.resume !== undefined && base !== undefined) checkSameWorkflow(opts.resume, base, workflow);
  const config = await loadRunConfig(workflow, opts.config ?? base?.configFile);
  // A resumed run keeps its --platform (an encrypted sim run stays on sim) unless one is given, and stays encrypted.
  const platform = platformFlag(opts.platform ?? base?.platform);
  // A plain run (started with --no-encrypt) resumes plain: its finished outputs are plaintext, and an
  // encrypted continuation could not release keys for them.
  let encrypt = opts.encrypt;
  if (base?.encrypted === false && encrypt) {
    encrypt = false;
    process.stderr.write(`sealflow: run ${opts.resume} was started with --no-encrypt; it resumes unencrypted\n`);
  }
  if (opts.resume !== undefined) checkEncryptedResume(new RunDir(opts.stateDir, opts.resume).root, encrypt);
  const { byStep, deploymentFor: placement } = place(workflow, config);
  const deployments: EngineDeployment[] = config.deployments.map((d) => ({ id: d.id, connector: d.connector, platform: d.connector === 'local' ? (platform ?? d.platform) : d.platform, workers: d.workers, options: withPolicyPath(d.options, d.loc.file), encrypt, resources: resourcesOn(workflow, byStep, d.id) }));
  const used = usedDeployments(workflow, deployments, placement);
  WorkerPool.check(used); // connectors and platforms this version has
  // Encrypted runs may mix none and sim deployments (one broker); --no-encrypt only none on local ones.
  checkTransfers(deployments);
  if (!encrypt) checkNoEncrypt(used);
  if (platform !== undefined) {
    for (const s of workflow.steps) {
      const d = deployments.find((x) => x.id === byStep.get(s.id));
      if (d && !platformSatisfies(d.platform, s.requirements.tee)) throw new InputError(`--platform ${platform}: step ${s.id} requires tee: ${s.requirements.tee}, which platform ${d.platform} of deployment ${d.id} does not satisfy`);
    }
  }
  const tools: ToolsSettings = { ...(config.path !== undefined ? { path: config.path } : {}), ...(config.tools !== undefined ? { pins: config.tools } : {}) };
  await checkTasks(workflow, commandCheckPath(tools, deployments, workflow.steps, placement)); // §10.3: programs on the PATH they will run from
  await checkLocalPins(workflow.steps, tools, deployments, placement); // §13.4: pinned tools this machine runs, hashed now
  // A resume checks its recorded inputs against the workflow as it is now, as a fresh run checks given ones.
  const loaded = preloaded?.inputs ?? await loadInputs(workflow, {
    ...(opts.inputs !== undefined ? { file: opts.inputs } : {}),
    overrides: opts.input,
    ...(base !== undefined ? { recorded: { values: base.inputs, label: `--resume ${opts.resume}: recorded input` } } : {}),
  });
  const { inputs, data } = resolveDataInputs(workflow, loaded, config.deployments, placement, encrypt); // files already on a deployment's hosts
  const concurrency = opts.concurrency !== undefined ? positiveInt(opts.concurrency, '--concurrency') : config.concurrency;
  if (resumed?.succeeded === true) process.stderr.write(`sealflow: run ${opts.resume} already succeeded; re-checking it (unchanged steps are reused)\n`);
  return {
    workflow,
    ...(config.file !== undefined ? { configFile: config.file } : {}),
    ...(config.advertise !== undefined ? { advertise: config.advertise } : {}),
    deployments,
    placement,
    ...(platform !== undefined ? { platform } : {}),
    tools,
    inputs,
    ...(data.size > 0 ? { data } : {}),
    concurrency,
    keepGoing: opts.keepGoing === true || base?.keepGoing === true,
    encrypt,
    ...(base !== undefined ? { base } : {}),
  };
}

/** The most threads (above the default 1) and memory of the steps placed on deployment `id`: a batch job asks for them, else for the deployment's defaults. */
function resourcesOn(workflow: Workflow, byStep: ReadonlyMap<string, string>, id: string): { threads?: number; memory?: number } {
  const steps = workflow.steps.filter((s) => byStep.get(s.id) === id);
  const threads = Math.max(1, ...steps.map((s) => s.requirements.threads));
  const memory = Math.max(0, ...steps.map((s) => s.requirements.memory ?? 0));
  return { ...(threads > 1 ? { threads } : {}), ...(memory > 0 ? { memory } : {}) };
}
