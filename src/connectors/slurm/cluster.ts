/**
 * `SlurmCluster`: the transport of the `slurm` connector — submits worker
 * jobs, reports where they are, watches them, cancels them. It speaks to
 * Slurm only through its client commands (`sbatch`, `squeue`, `scancel`) and
 * only through an injected `CommandRunner` (runner.ts), so the same code runs
 * them locally today and on a login node over ssh later.
 */
import { OperationError } from '../../errors.js';
import { checkAgainst, parseSinfo, SINFO_FORMAT } from './check.js';
import { compileSlurmOptions, type SlurmSettings } from './options.js';
import { isJobId, parseSbatchParsable, parseSqueue, SlurmOutputError, SQUEUE_FORMAT, type JobState } from './parse.js';
import { localRunner, type CommandResult, type CommandRunner } from './runner.js';
import { jobScript, type SlurmJob } from './script.js';

/** `sbatch` refused the job: the deployment's options or the step's resources do not fit the cluster. Retrying will not help. */
export class SlurmRefusal extends OperationError {
  constructor(
    message: string,
    /** Slurm's own words (its `error:` lines). */
    readonly slurmMessage: string,
  ) {
    super(message);
  }
}

export interface SubmittedJob {
  /** Slurm's job id (digits): for the journal and `scancel`. */
  readonly id: string;
  /** The opaque job name (`sealflow-<hex>`). */
  readonly name: string;
  /** The job's stdout/stderr files on the nodes (or /dev/null). */
  readonly stdout: string;
  readonly stderr: string;
}

export interface WatchOptions {
  /** First and shortest interval between `squeue` polls in ms (default 2 000). */
  readonly intervalMs?: number;
  /** Longest interval in ms; the interval grows ×1.5 while nothing changes, ×2 after a failed poll (default 30 000). */
  readonly maxIntervalMs?: number;
  /** A poll failed (controller unreachable, output out of shape); watching goes on with a longer interval. */
  readonly onError?: (err: Error) => void;
}

export interface JobWatch {
  /** Stops polling; `done` resolves after the poll in flight, if any. */
  stop(): void;
  /** Resolves when every watched job is gone or `stop` was called. */
  readonly done: Promise<void>;
}

export interface SlurmClusterOptions {
  /** How client commands run (default: `localRunner` with the deployment's `slurmConf`). */
  readonly runner?: CommandRunner;
}

/** Slurm's `error:` lines, without the program prefix, as one line. */
function slurmWords(r: CommandResult): string {
  const lines = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const errors = lines.filter((l) => /\berror:|fatal:/.test(l)).map((l) => l.replace(/^\w+: (?:error|fatal): /, ''));
  const words = (errors.length ? errors : lines).join('; ') || `exit status ${r.code}`;
  return words.length > 600 ? `${words.slice(0, 600)}…` : words;
}

/** Slurm's words when the controller did not answer (transient: not a refusal). */
const UNREACHABLE = /unable to contact|connection refused|connect failure|socket timed out|configuration source|zero bytes were transmitted/i;

/** What to do about a refusal, from Slurm's words. */
function advice(words: string): string {
  if (/invalid partition/i.test(words)) return "name an existing partition in the deployment's partition option ('sinfo -s' lists them)";
  if (/memory/i.test(words)) return "ask for less memory (the step's memory or the deployment's) or use a partition whose nodes have more ('sinfo -o \"%P %m\"' shows MiB per node)";
  if (/time limit/i.test(words)) return "lower the deployment's timeLimit to the partition's limit ('sinfo -o \"%P %l\"' shows it)";
  if (/account|qos|association/i.test(words)) return "check the deployment's account and qos with the cluster's operators ('sacctmgr show assoc user=$USER')";
  if (/cpu|node configuration|nodelist|node.*(unavailable|invalid)/i.test(words)) {
    return "ask for fewer threads, fix the deployment's nodelist, or use a partition with larger nodes ('sinfo -N -o \"%N %P %c %m\"')";
  }
  if (UNREACHABLE.test(words)) return "check that slurmctld is up ('scontrol ping') and the deployment's slurmConf";
  return "check the deployment's options against 'scontrol show partition'";
}

/** Pending reasons (squeue %R) that do not clear by waiting, with what to do. */
const STUCK: readonly (readonly [RegExp, string])[] = [
  [/^PartitionTimeLimit$/, "the job's time limit is beyond the partition's: lower the deployment's timeLimit ('sinfo -o \"%P %l\"' shows the partition's)"],
  [/^PartitionNodeLimit$/, "the job asks for more than the partition allows per job: fewer threads or less memory, or another partition"],
  [/^Partition(Down|Inactive)$/, "the partition does not run jobs now: use another partition or ask the cluster's operators"],
  [/^BadConstraints$/, "no node of the partition can satisfy the request: fewer threads, less memory, or another nodelist or partition"],
  [/^Invalid(Account|QOS)$/, "the cluster does not accept the deployment's account or qos ('sacctmgr show assoc user=$USER')"],
  [/PerJob/, "the request exceeds a per-job limit of the account or QOS: lower threads, memory or timeLimit"],
  [/^JobHeld(Admin|User)$/, "the job is held: release it ('scontrol release <id>') or ask the cluster's operators"],
];

function stuckAdvice(reason: string): string | undefined {
  return STUCK.find(([re]) => re.test(reason))?.[1];
}

const SQUEUE_IDS = 200;

export class SlurmCluster {
  readonly settings: SlurmSettings;
  readonly #run: CommandRunner;
  /** Every job this instance submitted and has not cancelled or seen gone, in order. */
  readonly #jobs = new Set<string>();

  constructor(settings: SlurmSettings, opts: SlurmClusterOptions = {}) {
    this.settings = settings;
    this.#run = opts.runner ?? localRunner(settings.slurmConf !== undefined ? { slurmConf: settings.slurmConf } : {});
  }

  /** Validates a deployment's raw options (InputError naming the deployment) and builds the transport. */
  static fromOptions(deployment: string, raw: Readonly<Record<string, unknown>>, opts: SlurmClusterOptions = {}): SlurmCluster {
    return new SlurmCluster(compileSlurmOptions(deployment, raw), opts);
  }

  get #where(): string {
    return `deployment "${this.settings.deployment}" (slurm)`;
  }

  /** Job ids submitted by this instance, not cancelled through it and not seen gone (for `cancelAll` and the progress display). */
  jobs(): string[] {
    return [...this.#jobs];
  }

  /**
   * Submits one worker job (`sbatch --parsable --export=NONE`, the script on
   * standard input, so no script file is left anywhere on the submit host).
   * A refusal throws SlurmRefusal: one line naming the deployment, the
   * partition and Slurm's message, and what to do.
   */
  async submit(job: SlurmJob): Promise<SubmittedJob> {
    const s = jobScript(this.settings, job);
    const r = await this.#run(['sbatch', '--parsable', '--export=NONE'], { stdin: s.script });
    if (r.code !== 0) {
      const words = slurmWords(r);
      if (r.code === null || UNREACHABLE.test(words)) {
        // Not a refusal: the controller may even have queued the job before the answer was lost.
        throw new OperationError(
          `${this.#where}: sbatch got no answer from the cluster: ${words} — check that slurmctld is up ('scontrol ping') and the deployment's slurmConf; a job may have been queued anyway: 'squeue -n ${s.name}' shows it, 'scancel -n ${s.name}' cancels it.`,
        );
      }
      const partition = this.settings.partition !== undefined ? `partition "${this.settings.partition}"` : "the cluster's default partition";
      throw new SlurmRefusal(`${this.#where}: sbatch refused the job for ${partition}: ${words} — ${advice(words)}.`, words);
    }
    let id: string;
    try {
      id = parseSbatchParsable(r.stdout);
    } catch (e) {
      throw new OperationError(`${this.#where}: ${(e as Error).message}; the job may have been submitted under the name ${s.name} — look with 'squeue -n ${s.name}' and cancel it.`);
    }
    this.#jobs.add(id);
    return { id, name: s.name, stdout: s.stdout, stderr: s.stderr };
  }

  /**
   * Where each job is, from one `squeue` call. Jobs squeue no longer lists
   * (purged after MinJobAge; `sacct` needs accounting, which clusters may
   * lack) are `gone`.
   */
  async states(ids: readonly string[]): Promise<Map<string, JobState>> {
    for (const id of ids) if (!isJobId(id)) throw new RangeError(`not a Slurm job id: ${JSON.stringify(id)}`);
    const out = new Map<string, JobState>();
    if (ids.length === 0) return out;
    // At most SQUEUE_IDS ids per call keep the command line short.
    for (let i = 0; i < ids.length; i += SQUEUE_IDS) {
      const chunk = ids.slice(i, i + SQUEUE_IDS);
      const listed = await this.#squeue(chunk);
      for (const id of chunk) {
        const st = listed.get(id) ?? { kind: 'gone' };
        out.set(id, st);
        if (st.kind === 'gone') this.#jobs.delete(id);
      }
    }
    return out;
  }

  async #squeue(ids: readonly string[]): Promise<Map<string, JobState>> {
    const r = await this.#run(['squeue', '-h', '--states=all', '-j', ids.join(','), '-o', SQUEUE_FORMAT]);
    // A single id the controller has forgotten is an error to squeue; several are silently left out.
    if (r.code === 1 && /invalid job id/i.test(r.stderr)) return new Map();
    if (r.code !== 0) throw new OperationError(`${this.#where}: squeue failed for job ${ids.join(', ')}: ${slurmWords(r)} — ${advice(slurmWords(r))}.`);
    try {
      return parseSqueue(r.stdout);
    } catch (e) {
      if (e instanceof SlurmOutputError) throw new OperationError(`${this.#where}: ${e.message} — is 'squeue' on the PATH the cluster's own?`);
      throw e;
    }
  }

  async state(id: string): Promise<JobState> {
    return (await this.states([id])).get(id)!;
  }

  /**
   * Polls `squeue` for `ids` and calls `onChange(id, state)` with each job's
   * first state and every change after; a job stops being watched once gone.
   * Polling is how Slurm is watched; the interval backs off while nothing
   * changes and after failures.
   */
  watch(ids: readonly string[], onChange: (id: string, state: JobState) => void, opts: WatchOptions = {}): JobWatch {
    const base = opts.intervalMs ?? 2_000;
    const max = Math.max(base, opts.maxIntervalMs ?? 30_000);
    const remaining = new Set(ids);
    const last = new Map<string, string>();
    let stopped = false;
    let wake: (() => void) | undefined;
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    const loop = async () => {
      let interval = base;
      while (!stopped && remaining.size > 0) {
        let states: Map<string, JobState>;
        try {
          states = await this.states([...remaining]);
        } catch (e) {
          opts.onError?.(e as Error);
          interval = Math.min(max, interval * 2);
          if (!stopped) await pause(interval);
          continue;
        }
        let changed = false;
        for (const [id, st] of states) {
          if (stopped) return;
          const key = JSON.stringify(st);
          if (st.kind === 'gone') remaining.delete(id);
          if (last.get(id) !== key) {
            last.set(id, key);
            changed = true;
            onChange(id, st); // a throw here ends the watch: `done` rejects with it
          }
        }
        interval = changed ? base : Math.min(max, Math.ceil(interval * 1.5));
        if (!stopped && remaining.size > 0) await pause(interval);
      }
    };
    const done = loop();
    return {
      stop: () => {
        stopped = true;
        wake?.();
      },
      done,
    };
  }

  /**
   * For a pending job whose reason will not clear by waiting (the request is
   * beyond the partition's or the account's limits — clusters with
   * `EnforcePartLimits=NO` accept such jobs and leave them pending forever —
   * or the job is held): one line naming the deployment, partition and job,
   * Slurm's reason, and what to do. Undefined for every other state.
   */
  stuck(id: string, state: JobState): string | undefined {
    if (state.kind !== 'pending') return undefined;
    const advice = stuckAdvice(state.reason);
    if (advice === undefined) return undefined;
    const partition = this.settings.partition !== undefined ? `partition "${this.settings.partition}"` : "the cluster's default partition";
    return `${this.#where}: job ${id} cannot start in ${partition}: Slurm says ${state.reason} — ${advice.replace('<id>', id)}.`;
  }

  /**
   * For `sealflow check`: whether the deployment's partition exists and takes
   * jobs, and its time limit and these resources (default: the deployment's)
   * fit it — one `sinfo`, no job. Returns one line per problem, naming the
   * deployment and partition and saying what to do; empty when it fits.
   */
  async check(resources: { readonly threads?: number; readonly memory?: number } = {}): Promise<string[]> {
    const r = await this.#run(['sinfo', '-h', '-N', '-o', SINFO_FORMAT]);
    if (r.code !== 0) throw new OperationError(`${this.#where}: sinfo failed: ${slurmWords(r)} — ${advice(slurmWords(r))}.`);
    let nodes;
    try {
      nodes = parseSinfo(r.stdout);
    } catch (e) {
      if (e instanceof SlurmOutputError) throw new OperationError(`${this.#where}: ${e.message} — is 'sinfo' on the PATH the cluster's own?`);
      throw e;
    }
    const s = this.settings;
    const threads = resources.threads ?? s.threads;
    const memory = resources.memory ?? s.memory;
    return checkAgainst(nodes, {
      ...(s.partition !== undefined ? { partition: s.partition } : {}),
      ...(s.timeLimit !== undefined ? { timeLimit: s.timeLimit } : {}),
      ...(threads !== undefined ? { threads } : {}),
      ...(memory !== undefined ? { memory } : {}),
    }).map((p) => `${this.#where}: ${p}`);
  }

  /** Cancels jobs (`scancel`); a job that already ended is not an error. */
  async cancel(...ids: string[]): Promise<void> {
    for (const id of ids) if (!isJobId(id)) throw new RangeError(`not a Slurm job id: ${JSON.stringify(id)}`);
    if (ids.length === 0) return;
    const r = await this.#run(['scancel', ...ids]);
    const words = slurmWords(r);
    if (r.code !== 0 && !/already completing or completed|invalid job id/i.test(words)) {
      throw new OperationError(`${this.#where}: scancel failed for job ${ids.join(', ')}: ${words} — cancel by hand with 'scancel ${ids.join(' ')}'.`);
    }
    for (const id of ids) this.#jobs.delete(id);
  }

  /** Cancels every job this instance submitted (the run ended, failed or was interrupted). */
  async cancelAll(): Promise<void> {
    await this.cancel(...this.#jobs);
  }
}
