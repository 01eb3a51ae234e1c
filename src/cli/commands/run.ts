/**
 * `sealflow run`: load and validate a workflow, its run configuration and
 * inputs (exit 2 and nothing written if any is wrong), run it on the
 * configured workers with a journal, then publish the outputs. `--resume ID`
 * continues a run that failed, was cancelled or was killed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import type { RunStarted } from '../../engine/events.js';
import { formatDuration, summarize } from '../../engine/inspect.js';
import { readJournal } from '../../engine/journal.js';
import { formatOutputs, publishOutputs } from '../../engine/publish.js';
import { recordPublication } from '../../engine/publication.js';
import { configureAttested } from '../../engine/attested/session.js';
import { checkEncryptedResume, locateRun } from '../../engine/attested/run-secrets.js';
import { DEFAULT_STATE_DIR, newRunId, RunDir } from '../../engine/run-dir.js';
import { abandonWorkers, executeRun, startWorkers, usedDeployments, type RunOutcome } from '../../engine/run.js';
import { prepareReceipt, type PendingReceipt } from '../../engine/receipt/emit.js';
import { masterPassphrase } from '../passphrase.js';
import type { EngineDeployment } from '../../engine/workers.js';
import { commandCheckPath, type ToolsSettings } from '../../engine/tools.js';
import { checkTasks, deploymentFor, loadInputs, loadRunConfig, loadWorkflow, parseInputFlag } from '../../workflow/index.js';
import type { PortValue, Step } from '../../workflow/model.js';
import { platformSatisfies, type PlatformKind } from '../../workflow/run-config.js';
import { loadPolicy } from '../../attestation/policy-load.js';
import { createProgress, type ProgressMode } from '../progress.js';
import { revealForOwner } from '../sealed-display.js';
import { checkNoEncrypt, checkTransfers } from '../run-encryption.js';
import { signalExitCode } from '../signals.js';
import { preadmitInputs } from '../../engine/attested/preadmit.js';
import { decryptedPreview, protectionLines } from '../run-summary.js';
import { ownerIdentityFile } from '../../engine/attested/local-master.js';

interface RunOpts {
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

/** A deployment's `policy:` file is relative to the run configuration that names it. */
function withPolicyPath(options: Readonly<Record<string, unknown>>, configFile: string): Readonly<Record<string, unknown>> {
  const p = options['policy'];
  if (p === undefined) return options;
  if (typeof p !== 'string') throw new InputError(`${configFile}: a deployment's policy must be a file path (written by "sealflow policy init")`);
  const file = path.resolve(path.dirname(configFile), p);
  loadPolicy(file); // an invalid policy is an input error now, before any worker starts
  return { ...options, policy: file };
}

/** The platforms `--platform` selects (for local deployments); `sealflow bench` reads this too. */
export const RUN_PLATFORMS = ['none', 'sim'] as const satisfies readonly PlatformKind[];

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

/** What a resumed run starts from: its journal's first event. */
function resumeBase(stateDir: string, id: string): RunStarted {
  const dir = new RunDir(stateDir, id);
  if (!dir.exists()) throw new InputError(`--resume ${id}: no such run in ${stateDir} (see \`sealflow runs\`; use --state-dir if it lives elsewhere)`);
  const { events, tornTail } = readJournal(dir.journal);
  const first = events[0];
  if (first?.type !== 'run-started') throw new InputError(`--resume ${id}: the journal ${dir.journal} does not start with run-started; it cannot be resumed`);
  const s = summarize(id, events, tornTail);
  if (s.state === 'running') throw new InputError(`--resume ${id}: the run is still running (its master is alive); stop it first`);
  if (s.state === 'succeeded') process.stderr.write(`sealflow: run ${id} already succeeded; re-checking it (unchanged steps are reused)\n`);
  return first;
}

async function action(flow: string | undefined, opts: RunOpts): Promise<void> {
  const base = opts.resume !== undefined ? resumeBase(opts.stateDir, opts.resume) : undefined;
  const flowPath = flow ?? base?.workflow;
  if (flowPath === undefined) throw new InputError('run: give a workflow (flow.yaml or its directory), or --resume ID');

  // Validate everything before anything is written; the workers start meanwhile (and are stopped if it fails).
  const workflow = await loadWorkflow(flowPath);
  const configFile = opts.config ?? base?.configFile;
  const config = await loadRunConfig(workflow, configFile);
  // A resumed run keeps its --platform (an encrypted sim run stays on sim) unless one is given, and stays encrypted.
  const platformOverride = platformFlag(opts.platform ?? base?.platform);
  // A plain run (started with --no-encrypt) resumes plain: its finished outputs are plaintext, and an
  // encrypted continuation could not release keys for them.
  if (base?.encrypted === false && opts.encrypt) {
    opts.encrypt = false;
    process.stderr.write(`sealflow: run ${opts.resume} was started with --no-encrypt; it resumes unencrypted\n`);
  }
  if (opts.resume !== undefined) checkEncryptedResume(new RunDir(opts.stateDir, opts.resume).root, opts.encrypt);
  const deployments: EngineDeployment[] = config.deployments.map((d) => ({ id: d.id, connector: d.connector, platform: d.connector === 'local' ? (platformOverride ?? d.platform) : d.platform, workers: d.workers, options: withPolicyPath(d.options, d.loc.file), encrypt: opts.encrypt }));
  const byStep = new Map(workflow.steps.map((s) => [s.id, deploymentFor(config, s).id]));
  // Encrypted runs may mix none and sim deployments (one broker); --no-encrypt only none on local ones.
  checkTransfers(deployments);
  if (!opts.encrypt) checkNoEncrypt(usedDeployments(workflow, deployments, (s) => byStep.get(s.id) ?? config.defaultDeployment));
  if (platformOverride !== undefined) {
    for (const s of workflow.steps) {
      const d = deployments.find((x) => x.id === byStep.get(s.id));
      if (d && !platformSatisfies(d.platform as PlatformKind, s.requirements.tee)) throw new InputError(`--platform ${platformOverride}: step ${s.id} requires tee: ${s.requirements.tee}, which platform ${d.platform} of deployment ${d.id} does not satisfy`);
    }
  }
  const placement = (s: Step) => byStep.get(s.id) ?? config.defaultDeployment;
  const toolSettings: ToolsSettings = { ...(config.path !== undefined ? { path: config.path } : {}), ...(config.tools !== undefined ? { pins: config.tools } : {}) };
  const runId = opts.resume ?? newRunId();
  // Attested (sim) deployments: results are encrypted to the owner; sim stands for a TEE only as the local policy allows.
  const teeBy = new Map(workflow.steps.map((s) => [s.id, s.requirements.tee]));
  configureAttested({ ...(opts.owner !== undefined ? { owner: opts.owner } : {}), teeOf: (label) => teeBy.get(label.replace(/\[.*$/, '')) ?? 'none' });
  locateRun(runId, new RunDir(opts.stateDir, runId).root); // a resumed encrypted run's session reuses its run secrets
  // Task modules bundle and commands resolve (§10.3: on the PATH they will run from) before any worker starts.
  await checkTasks(workflow, commandCheckPath(toolSettings, deployments, workflow.steps, placement));
  const workers = startWorkers(runId, usedDeployments(workflow, deployments, placement));
  let inputs: Record<string, PortValue>;
  let concurrency: number;
  let receipt: PendingReceipt;
  try {
    const newInputs = opts.inputs !== undefined || Object.keys(opts.input).length > 0;
    inputs = base && !newInputs ? { ...base.inputs } : await loadInputs(workflow, { ...(opts.inputs !== undefined ? { file: opts.inputs } : {}), overrides: opts.input });
    concurrency = opts.concurrency !== undefined ? positiveInt(opts.concurrency, '--concurrency') : config.concurrency;
    // Encrypted runs: the master encrypts the inputs while the workers are provisioned (not when the first step needs them).
    if (!base && usedDeployments(workflow, deployments, placement).some((d) => d.encrypt === true || d.platform !== 'none')) preadmitInputs(runId, inputs);
    // The run receipt is signed by the master signing key: loaded now, so a missing passphrase fails before any work.
    receipt = await prepareReceipt({ workflowFile: workflow.file, inputs, passphrase: () => masterPassphrase('Passphrase for the master keys (signs the run receipt): '), warn: (m) => process.stderr.write(m) });
  } catch (e) {
    abandonWorkers(workers);
    throw e;
  }

  const mode: ProgressMode = opts.json ? 'json' : opts.quiet ? 'quiet' : process.stderr.isTTY ? 'tty' : 'plain';
  const progress = createProgress(mode, workflow.steps.length);
  const abort = new AbortController();
  let signals = 0;
  let cancelledBy: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    cancelledBy ??= sig;
    if (signals === 1) {
      if (mode !== 'json') process.stderr.write(`\nsealflow: ${sig}: cancelling the run (again to force)\n`);
      abort.abort();
    } else {
      process.stderr.write(`sealflow: ${sig} again: exiting now; workers stop when they lose the master\n`);
      process.exit(signalExitCode(sig));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let outcome: RunOutcome;
  try {
    outcome = await executeRun({
      workflow,
      inputs,
      stateDir: opts.stateDir,
      deployments,
      deploymentFor: placement,
      runId,
      workers,
      concurrency,
      keepGoing: opts.keepGoing === true || base?.keepGoing === true,
      ...(config.file !== undefined ? { configFile: config.file } : {}),
      ...(platformOverride !== undefined ? { platform: platformOverride } : {}),
      encrypted: opts.encrypt,
      tools: toolSettings,
      ...(opts.resume !== undefined ? { resumeId: opts.resume } : {}),
      onEvent: progress.onEvent,
      signal: abort.signal,
    });
  } finally {
    progress.end();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  await report(outcome, opts, mode, base?.t, receipt);
  if (cancelledBy !== undefined && outcome.state === 'cancelled') process.exitCode = signalExitCode(cancelledBy);
}

async function report(o: RunOutcome, opts: RunOpts, mode: ProgressMode, startedAt: number | undefined, receipt: PendingReceipt): Promise<void> {
  const events = readJournal(o.runDir.journal).events;
  const t0 = startedAt ?? events[0]?.t ?? Date.now();
  const took = formatDuration((events.at(-1)?.t ?? Date.now()) - (events.findLast((e) => e.type === 'run-started' || e.type === 'run-resumed')?.t ?? t0));
  if (o.state === 'succeeded') {
    const published = publishOutputs(o.outputs, opts.out ?? o.runDir.outputs);
    recordPublication(o.runDir, opts.out ?? o.runDir.outputs);
    const signed = await receipt.write({ runDir: o.runDir, outDir: opts.out ?? o.runDir.outputs, published });
    const shown = await revealForOwner(published); // sealed values (§10.2), decrypted for the owner's eyes only
    // How the run was protected ("no TEE", "NOT a TEE", measurements), and a decrypted preview for the local owner.
    const protection = protectionLines(events, opts.encrypt);
    if (mode === 'json') process.stdout.write(`${JSON.stringify({ type: 'result', runId: o.runId, state: o.state, outputs: shown, receipt: signed, protection })}\n`);
    else {
      const owner = ownerIdentityFile();
      const preview = mode !== 'quiet' && opts.encrypt && opts.owner === undefined && fs.existsSync(owner) ? await decryptedPreview(published, owner) : [];
      process.stdout.write([`run ${o.runId} succeeded in ${took}`, ...(Object.keys(published).length > 0 ? ['outputs:', ...formatOutputs(shown)] : []), `receipt: ${path.relative(process.cwd(), signed)}`, ...protection, ...preview].join('\n') + '\n');
    }
    return;
  }
  process.exitCode = 1;
  if (mode === 'json') {
    process.stdout.write(`${JSON.stringify({ type: 'result', runId: o.runId, state: o.state, failures: o.failures, ...(o.message ? { message: o.message } : {}) })}\n`);
    return;
  }
  const lines = [`run ${o.runId} ${o.state} after ${took}${o.message ? `: ${o.message}` : ''}`];
  for (const f of o.failures) {
    const status = f.exitStatus !== null ? `exit status ${f.exitStatus}` : f.signal ? `signal ${f.signal}` : 'no exit status';
    lines.push(`  step ${f.step}${f.index > 0 || events.some((e) => e.type === 'step-expanded' && e.step === f.step) ? `[${f.index}]` : ''} failed (${status}): ${f.message}`);
    if (f.stderrTail) lines.push(...f.stderrTail.split('\n').map((l) => `    | ${l}`));
    const log = `${o.runDir.logBase(f.step, f.index)}.err`;
    // Attested (sim) steps leave their logs encrypted to the run and the owner (docs/protocol.md §10).
    // An encrypted step with an empty stderr leaves no log (§10.4).
    lines.push(fs.existsSync(`${log}.age`) ? `    log (encrypted): ${log}.age — read it with: sealflow decrypt -i <owner identity> ${log}.age` : fs.existsSync(log) ? `    log: ${log}` : '    log: (empty)');
  }
  lines.push(`resume with: sealflow run --resume ${o.runId}${opts.stateDir !== DEFAULT_STATE_DIR ? ` --state-dir ${opts.stateDir}` : ''}`);
  process.stderr.write(`${lines.join('\n')}\n`);
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run a workflow on the configured workers, journalled and resumable')
    .argument('[workflow]', 'flow.yaml, or a directory holding one (optional with --resume)')
    .option('-i, --inputs <file>', 'inputs YAML (default: inputs.yaml beside the workflow, if present)')
    .option('--input <name=value>', 'set one input (repeatable; overrides --inputs)', (v: string, acc: Record<string, string>) => parseInputFlag(v, acc), {})
    .option('--config <file>', 'run configuration (default: sealflow.yaml beside the workflow, else one local deployment)')
    .option('--resume <id>', 're-run only what failed, never ran, was running, or whose inputs or code changed (recorded inputs are reused unless -i/--input are given)')
    .option('--keep-going', 'after a step fails, keep running steps that do not depend on it')
    .option('--concurrency <n>', `cores in use at once; each running step counts its threads (default: the configuration's, else CPU cores: ${os.availableParallelism()})`)
    .option('--out <dir>', 'where to put the output files (default: <state-dir>/runs/<id>/outputs)')
    .option('--state-dir <dir>', 'where runs are kept', DEFAULT_STATE_DIR)
    .option('--json', 'stream events as JSON lines on stdout, then one result line')
    .option('--quiet', 'no progress output; only the result')
    .option('--platform <name>', 'none or sim: the platform of every local deployment (sim: attested, encrypted; not a TEE)')
    .option('--no-encrypt', 'run without encryption: a benchmark baseline, allowed only with platform none on local deployments (default: every input, intermediate and result is age-encrypted)')
    .option('--owner <recipient>', 'age recipient (age1…) the results of attested (sim) deployments are encrypted to (default: the local owner identity)')
    .addHelpText(
      'after',
      '\nExit status: 0 the run succeeded; 1 it failed (resumable); 2 invalid input, nothing ran;\n' +
        '130 (SIGINT, Ctrl-C) or 143 (SIGTERM): cancelled (resumable).\n' +
        'Examples:\n  sealflow run examples/word-count\n  sealflow run flow.yaml --input corpus=big.txt --concurrency 4\n  sealflow run --resume 20261122-131905-3fa9c1',
    )
    .action(action);
}
