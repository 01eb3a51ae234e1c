/**
 * Parsers of what the Slurm client commands print. Their output is outside
 * input (a login node reached over ssh, a site's wrapper scripts, a changed
 * Slurm version): each parser accepts exactly the shape it asked for and
 * refuses anything else with a SlurmOutputError that quotes the start of the
 * offending line. Fuzzed by test/fuzz/targets/slurm-output.ts.
 */

/** What `squeue`/`sbatch` printed was not what sealflow asked for. */
export class SlurmOutputError extends Error {
  override readonly name = 'SlurmOutputError';
}

/** Where a job is, as sealflow sees it. */
export type JobState =
  /** Waiting in the queue; `reason` is Slurm's (`Resources`, `Priority`, `ReqNodeNotAvail, …`). */
  | { readonly kind: 'pending'; readonly reason: string; readonly slurmState: string }
  /** Holding a node (running, or suspended/stopped there); `node` is where. */
  | { readonly kind: 'running'; readonly node: string; readonly slurmState: string }
  /** Ending, ended, or no longer known to the controller. `slurmState` is absent when squeue no longer lists it. */
  | { readonly kind: 'gone'; readonly slurmState?: string };

const JOB_ID = /^[1-9]\d{0,9}$/;
const MAX_LINE = 4096;

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

/**
 * `sbatch --parsable` prints `<jobid>` or `<jobid>;<cluster>` and a newline.
 * Returns the job id (decimal digits).
 */
export function parseSbatchParsable(stdout: string): string {
  const m = /^([0-9]+)(?:;([A-Za-z0-9_-]{1,64}))?\n?$/.exec(stdout);
  if (!m || !JOB_ID.test(m[1]!)) throw new SlurmOutputError(`sbatch --parsable printed ${quote(stdout)}, not a job id`);
  return m[1]!;
}

/** Slurm job states (squeue %T), grouped as sealflow reads them. */
const PENDING = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD']);
const RUNNING = new Set(['CONFIGURING', 'RUNNING', 'SUSPENDED', 'STOPPED', 'SIGNALING', 'RESIZING', 'STAGE_OUT']);
const GONE = new Set([
  'COMPLETING', 'COMPLETED', 'CANCELLED', 'FAILED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'OUT_OF_MEMORY', 'SPECIAL_EXIT', 'REVOKED',
]);

/** The `squeue -o` format `parseSqueue` reads. */
export const SQUEUE_FORMAT = '%i|%T|%R|%N';

/**
 * Lines of `squeue -h -o '%i|%T|%R|%N'`: job id, state, reason (pending:
 * `(Resources)`; otherwise the node list), nodes. Returns each listed job's
 * state; a job listed twice, an unknown state or a malformed line is refused.
 */
export function parseSqueue(stdout: string): Map<string, JobState> {
  const out = new Map<string, JobState>();
  if (stdout.length > 64 * 1024 * 1024) throw new SlurmOutputError('squeue printed more than 64 MiB');
  const lines = stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    if (line.length > MAX_LINE) throw new SlurmOutputError(`squeue printed a line of ${line.length} characters (at most ${MAX_LINE})`);
    const f = line.split('|');
    // The reason may itself hold no '|' (Slurm reasons are words, commas, colons): exactly four fields.
    if (f.length !== 4) throw new SlurmOutputError(`squeue printed ${quote(line)}, not "id|state|reason|nodes"`);
    const [id, state, reason, nodes] = f as [string, string, string, string];
    if (!JOB_ID.test(id)) throw new SlurmOutputError(`squeue printed job id ${quote(id)}`);
    if (out.has(id)) throw new SlurmOutputError(`squeue listed job ${id} twice`);
    if (!/^[ -~]*$/.test(reason) || !/^[A-Za-z0-9_.\-[\],]*$/.test(nodes)) throw new SlurmOutputError(`squeue printed ${quote(line)}: reason or node list out of shape`);
    if (PENDING.has(state)) {
      const r = /^\((.+)\)$/.exec(reason);
      if (!r) throw new SlurmOutputError(`squeue printed pending job ${id} with reason ${quote(reason)}, not "(…)"`);
      out.set(id, { kind: 'pending', reason: r[1]!, slurmState: state });
    } else if (RUNNING.has(state)) {
      if (nodes === '') throw new SlurmOutputError(`squeue printed ${state.toLowerCase()} job ${id} without a node`);
      out.set(id, { kind: 'running', node: nodes, slurmState: state });
    } else if (GONE.has(state)) {
      out.set(id, { kind: 'gone', slurmState: state });
    } else {
      throw new SlurmOutputError(`squeue printed job ${id} in state ${quote(state)}, which sealflow does not know`);
    }
  }
  return out;
}

/** Whether a job id is one sbatch could have printed (decimal, no leading zero). */
export function isJobId(id: string): boolean {
  return JOB_ID.test(id);
}
