/**
 * How the Slurm client commands run. The transport only ever calls a
 * `CommandRunner`, so a later `ssh` deployment (a login node) can substitute
 * one that runs the same argv over its connection (issue 12: "slurm can be
 * reached through an ssh deployment").
 */
import { execFile } from 'node:child_process';

export interface CommandResult {
  /** Exit status; null when the command was killed (then `stderr` says why). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `argv` (no shell) with `stdin` written to its standard input; never rejects for a non-zero exit. */
export type CommandRunner = (argv: readonly string[], opts?: { readonly stdin?: string }) => Promise<CommandResult>;

export interface LocalRunnerOptions {
  /** `SLURM_CONF` for the client commands; absent: the client's default configuration. */
  readonly slurmConf?: string;
  /** `PATH` for the client commands (default: this process's, else /usr/local/bin:/usr/bin:/bin). */
  readonly path?: string;
  /** Bound on one command in ms (default 60 000): a controller that does not answer is an error, not a hang. */
  readonly timeoutMs?: number;
}

/**
 * The local runner: `execFile` with an explicit environment — only `PATH` and
 * `SLURM_CONF` — and `/` as working directory. Nothing else of the caller's
 * environment reaches `sbatch` (which would otherwise read `SBATCH_*`
 * variables) or Slurm's state directory (`SLURM_SUBMIT_DIR` is the working
 * directory, so a project directory's name would be stored with the job).
 */
export function localRunner(opts: LocalRunnerOptions = {}): CommandRunner {
  const env: Record<string, string> = { PATH: opts.path ?? process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin' };
  if (opts.slurmConf !== undefined) env['SLURM_CONF'] = opts.slurmConf;
  const timeout = opts.timeoutMs ?? 60_000;
  return (argv, o = {}) =>
    new Promise((resolve) => {
      const [file, ...args] = argv;
      if (file === undefined) throw new RangeError('empty argv');
      const child = execFile(file, args, { env, cwd: '/', timeout, killSignal: 'SIGKILL', encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err === null) return resolve({ code: 0, stdout, stderr });
        const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
        if (typeof e.code === 'number') return resolve({ code: e.code, stdout, stderr });
        const why = e.killed ? `${file} did not finish within ${timeout} ms and was killed` : `${file} could not be run: ${e.message}`;
        resolve({ code: null, stdout, stderr: stderr ? `${stderr.trimEnd()}\n${why}` : why });
      });
      child.stdin?.on('error', () => {
        /* the command exited without reading its input: its exit status says why */
      });
      child.stdin?.end(o.stdin ?? '');
    });
}
