/**
 * `sealflow run`: load and validate a workflow, its run configuration and
 * inputs (exit 2, nothing started and nothing written if any is wrong; see
 * ../run-plan.ts), run it on the configured workers with a journal, then
 * publish the outputs. `--resume ID` continues a run that failed, was
 * cancelled or was killed — of the same workflow, checked like a fresh run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_STATE_DIR } from '../../engine/run-dir.js';
import type { WorkflowOutcome } from '../../engine/run-workflow.js';
import { masterPassphrase } from '../passphrase.js';
import { parseInputFlag } from '../../workflow/input-flag.js';
import { createProgress, type ProgressMode } from '../progress.js';
import { signalExitCode } from '../signals.js';
import type { RunOpts } from '../run-plan.js';
import { InputError } from '../../errors.js';
import type { RunEvent } from '../../engine/events.js';
import { RunDir } from '../../engine/run-dir.js';
import type { LiveServer } from '../../report/serve.js';
import { isCwlDocument, runCwlFromSealflow } from '../cwl/from-run.js';

// Registering the command (and `run --help`) loads only the modules above; the action loads the run's
// validation (run-plan.ts) first, then the engine, then the summary's modules, each when it is needed.

/** `--report FILE` and `--web` (docs/report.md). */
type ViewOpts = RunOpts & { report?: string; web?: boolean };

/** The live view of the run, started once its run directory exists; the URL (with its token) printed once, never journalled. */
function liveView(opts: ViewOpts): { onEvent: (e: RunEvent) => void; close: () => Promise<void> } {
  let server: Promise<LiveServer | null> | null = null;
  return {
    onEvent: (e) => {
      if (!opts.web || server || (e.type !== 'run-started' && e.type !== 'run-resumed')) return;
      const runId = e.type === 'run-started' ? e.runId : (opts.resume as string);
      const dir = new RunDir(opts.stateDir, runId);
      server = import('../../report/serve.js').then((m) => m.serveRun({ dir: dir.root, runId })).then(
        (s) => (process.stderr.write(`live view: ${s.url}\n(read-only, 127.0.0.1 only, until the run ends; \`sealflow serve ${runId}${opts.stateDir !== DEFAULT_STATE_DIR ? ` --state-dir ${opts.stateDir}` : ''}\` shows it again)\n`), s),
        (err: Error) => (process.stderr.write(`sealflow: the live view did not start: ${err.message}\n`), null),
      );
    },
    close: async () => void (await (await server)?.close()),
  };
}

/**
 * Everything is checked (run-plan.ts) before anything starts: a user error exits 2 with no worker started,
 * no run directory and no journal line. Then the engine runs it (src/engine/run-workflow.ts: the receipt's
 * signing key, the workers, the run, the published outputs), and this reports the outcome.
 */
async function action(flow: string | undefined, job: string | undefined, opts: ViewOpts): Promise<void> {
  if (isCwlDocument(flow)) return runCwlFromSealflow(flow, job ?? opts.inputs, opts);
  if (job !== undefined) throw new InputError(`${job}: a second argument is a CWL job order, for a .cwl workflow; give flow.yaml's inputs with -i`);
  if (opts.report !== undefined && !fs.statSync(path.dirname(path.resolve(opts.report)), { throwIfNoEntry: false })?.isDirectory()) {
    throw new InputError(`--report ${opts.report}: directory ${path.dirname(path.resolve(opts.report))} does not exist`);
  }
  const { planRun } = await import('../run-plan.js');
  const plan = await planRun(flow, opts);
  // A plain run's workers start now, from modules the checks loaded: their start overlaps the engine's loading.
  const { startPlainWorkersEarly, abandonEarlyWorkers } = await import('../../engine/early-workers.js');
  const early = startPlainWorkersEarly(plan, opts.resume);
  const { runWorkflow } = await import('../../engine/run-workflow.js').catch((e: unknown) => {
    abandonEarlyWorkers(early);
    throw e;
  });
  const live = liveView(opts);
  opts.encrypt = plan.encrypt;
  const mode: ProgressMode = opts.json ? 'json' : opts.quiet ? 'quiet' : process.stderr.isTTY ? 'tty' : 'plain';
  const progress = createProgress(mode, plan.workflow.steps.length);
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
  let outcome: WorkflowOutcome;
  try {
    outcome = await runWorkflow(
      plan,
      {
        stateDir: opts.stateDir,
        ...(opts.resume !== undefined ? { resume: opts.resume } : {}),
        ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
        ...(opts.out !== undefined ? { out: opts.out } : {}),
        passphrase: () => masterPassphrase('Passphrase for the master keys (signs the run receipt): '),
        signal: abort.signal,
        ...(early !== null ? { early } : {}),
      },
      { onEvent: (e) => (progress.onEvent(e), live.onEvent(e)) },
    );
  } finally {
    await live.close();
    progress.end();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  await report(outcome, opts, mode, plan.base?.t);
  if (opts.report !== undefined) {
    try {
      const { writeRunReport } = await import('../../report/build.js'); // loaded only for --report
      const r = await writeRunReport({ dir: outcome.runDir.root, runId: outcome.runId, ...(outcome.published ? { receipt: outcome.published.receipt } : {}) }, opts.report);
      process.stderr.write(`report: ${r.file}\n`);
    } catch (e) {
      // The run itself is done and recorded: say what failed, and how to write the report again.
      process.stderr.write(`sealflow: the report was not written (${(e as Error).message}); write it with: sealflow report ${outcome.runId}${opts.stateDir !== DEFAULT_STATE_DIR ? ` --state-dir ${opts.stateDir}` : ''} -o ${opts.report}\n`);
      process.exitCode = 1;
    }
  }
  if (cancelledBy !== undefined && outcome.state === 'cancelled') process.exitCode = signalExitCode(cancelledBy);
}

async function report(o: WorkflowOutcome, opts: RunOpts, mode: ProgressMode, startedAt: number | undefined): Promise<void> {
  const [{ formatDuration }, { readJournal }, { formatOutputs }, { revealForOwner }, { decryptedPreview, protectionLines }, { ownerIdentityFile }] = await Promise.all([
    import('../../engine/inspect.js'),
    import('../../engine/journal.js'),
    import('../../engine/publish.js'),
    import('../sealed-display.js'),
    import('../run-summary.js'),
    import('../../master/local-master.js'),
  ]);
  const events = readJournal(o.runDir.journal).events;
  const t0 = startedAt ?? events[0]?.t ?? Date.now();
  const took = formatDuration((events.at(-1)?.t ?? Date.now()) - (events.findLast((e) => e.type === 'run-started' || e.type === 'run-resumed')?.t ?? t0));
  if (o.state === 'succeeded' && o.published) {
    const { outputs: published, receipt: signed } = o.published;
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
    .argument('[workflow]', 'flow.yaml, or a directory holding one (optional with --resume), or a CWL document (.cwl)')
    .argument('[job]', 'the CWL job order (YAML or JSON) of a .cwl workflow')
    .option('-i, --inputs <file>', 'inputs YAML (default: inputs.yaml beside the workflow, if present)')
    .option('--input <name=value>', 'set one input (repeatable; overrides --inputs)', (v: string, acc: Record<string, string>) => parseInputFlag(v, acc), {})
    .option('--config <file>', 'run configuration (default: sealflow.yaml beside the workflow, else one local deployment)')
    .option('--resume <id>', 'continue run ID of the same workflow: re-run only what failed, never ran, was running, or whose inputs or code changed (its recorded inputs are reused; -i/--input override them)')
    .option('--keep-going', 'after a step fails, keep running steps that do not depend on it')
    .option('--concurrency <n>', `cores in use at once; each running step counts its threads (default: the configuration's, else CPU cores: ${os.availableParallelism()})`)
    .option('--out <dir>', 'where to put the output files (default: <state-dir>/runs/<id>/outputs)')
    .option('--state-dir <dir>', 'where runs are kept', DEFAULT_STATE_DIR)
    .option('--json', 'stream events as JSON lines on stdout, then one result line')
    .option('--quiet', 'no progress output; only the result')
    .option('--platform <name>', 'none or sim: the platform of every local deployment (sim: attested, encrypted; not a TEE)')
    .option('--no-encrypt', 'run without encryption: a benchmark baseline, allowed only with platform none on local deployments (default: every input, intermediate and result is age-encrypted)')
    .option('--report <file>', 'when the run ends, write its HTML report to FILE (as `sealflow report`, without decrypted content)')
    .option('--web', 'serve a live view of the run on 127.0.0.1 while it runs (the URL, with its token, is printed once)')
    .option('--owner <recipient>', 'age recipient (age1…) the results of attested (sim) deployments are encrypted to (default: the local owner identity)')
    .addHelpText(
      'after',
      '\nExit status: 0 the run succeeded; 1 it failed (resumable); 2 invalid input, nothing ran;\n' +
        '130 (SIGINT, Ctrl-C) or 143 (SIGTERM): cancelled (resumable).\n' +
        'Examples:\n  sealflow run examples/word-count\n  sealflow run flow.yaml --input corpus=big.txt --concurrency 4\n  sealflow run --resume 20261122-131905-3fa9c1',
    )
    .action(action);
}
