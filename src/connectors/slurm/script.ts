/**
 * The job script sealflow submits. Everything in it is visible to the
 * cluster's operators and stored in Slurm's state directory (the script and,
 * beside it, the job's environment), so it carries only: the `#SBATCH` lines
 * of the closed option list, an opaque job name, opaque output file names,
 * and the one command with its explicit environment — the provisioner
 * command a platform gives, which carries no secret and nothing derived from
 * data (docs/connectors/slurm.md "What the cluster sees").
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { SAFE_PATH, slurmMemory, type SlurmSettings } from './options.js';

/** One worker job. */
export interface SlurmJob {
  /** The command the job runs (absolute path first): the provisioner command a platform gives. */
  readonly argv: readonly string[];
  /** Exactly the environment of that command; nothing else is inherited, not even Slurm's own SLURM_* variables. */
  readonly env: Readonly<Record<string, string>>;
  /** Working directory of the job on the node (`--chdir`). */
  readonly chdir: string;
  /** Directory (on the nodes) for the job's stdout/stderr files, named `<job name>.out`/`.err`; absent: /dev/null. */
  readonly outputDir?: string;
  /** `--cpus-per-task`; default the deployment's `threads`, else Slurm's default (1). */
  readonly threads?: number;
  /** Bytes, as `--mem`; default the deployment's `memory`, else the partition's default. */
  readonly memory?: number;
}

export interface JobScript {
  /** `sealflow-<32 hex>`: random, the same for the output files. */
  readonly name: string;
  readonly script: string;
  /** Where the job's stdout and stderr go. */
  readonly stdout: string;
  readonly stderr: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;

/** POSIX shell single-quoting. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A fresh opaque job name: nothing of the workflow, its steps or files. */
export function opaqueName(): string {
  return `sealflow-${crypto.randomBytes(16).toString('hex')}`;
}

function bad(deployment: string, msg: string): never {
  throw new InputError(`deployment "${deployment}" (slurm): ${msg}`);
}

/**
 * Writes the job script. It starts `argv` through `/usr/bin/env -i` with
 * exactly `env`, so the worker sees neither Slurm's variables nor a login
 * environment (`--export=NONE` makes Slurm set SLURM_GET_USER_ENV).
 */
export function jobScript(settings: SlurmSettings, job: SlurmJob, name: string = opaqueName()): JobScript {
  const d = settings.deployment;
  if (job.argv.length === 0) bad(d, 'the worker command is empty.');
  const [cmd] = job.argv as [string, ...string[]];
  if (!cmd.startsWith('/') || cmd.includes('=')) bad(d, `the worker command must be an absolute path without "=", not ${JSON.stringify(cmd)}.`);
  for (const a of job.argv) if (a.includes('\0') || a.includes('\n')) bad(d, 'an argument of the worker command contains a NUL or newline.');
  for (const [k, v] of Object.entries(job.env)) {
    if (!ENV_NAME.test(k)) bad(d, `environment variable name ${JSON.stringify(k)} is not a shell name.`);
    if (v.includes('\0') || v.includes('\n')) bad(d, `environment variable ${k} contains a NUL or newline.`);
  }
  for (const [what, p] of [['chdir', job.chdir], ['outputDir', job.outputDir]] as const) {
    if (p !== undefined && !SAFE_PATH.test(p)) bad(d, `${what} must be an absolute path without spaces, quotes or shell syntax, not ${JSON.stringify(p)}.`);
  }
  const threads = job.threads ?? settings.threads;
  if (threads !== undefined && (!Number.isSafeInteger(threads) || threads < 1 || threads > 4096)) bad(d, `threads must be a whole number from 1 to 4096, not ${threads}.`);
  const memory = job.memory ?? settings.memory;
  if (memory !== undefined && (!Number.isSafeInteger(memory) || memory <= 0)) bad(d, `memory must be a positive whole number of bytes, not ${memory}.`);

  const stdout = job.outputDir === undefined ? '/dev/null' : path.posix.join(job.outputDir, `${name}.out`);
  const stderr = job.outputDir === undefined ? '/dev/null' : path.posix.join(job.outputDir, `${name}.err`);
  const sbatch: string[] = [`--job-name=${name}`, `--output=${stdout}`, `--error=${stderr}`, `--chdir=${job.chdir}`, '--nodes=1', '--ntasks=1', '--no-requeue'];
  if (settings.partition !== undefined) sbatch.push(`--partition=${settings.partition}`);
  if (settings.account !== undefined) sbatch.push(`--account=${settings.account}`);
  if (settings.qos !== undefined) sbatch.push(`--qos=${settings.qos}`);
  if (settings.timeLimit !== undefined) sbatch.push(`--time=${settings.timeLimit}`);
  if (settings.nodelist !== undefined) sbatch.push(`--nodelist=${settings.nodelist}`);
  if (threads !== undefined) sbatch.push(`--cpus-per-task=${threads}`);
  if (memory !== undefined) sbatch.push(`--mem=${slurmMemory(memory)}`);

  const envArgs = Object.entries(job.env).map(([k, v]) => `  ${shQuote(`${k}=${v}`)} \\`);
  const script = [
    '#!/bin/bash',
    ...sbatch.map((o) => `#SBATCH ${o}`),
    'set -eu',
    'exec /usr/bin/env -i \\',
    ...envArgs,
    `  ${job.argv.map(shQuote).join(' ')}`,
    '',
  ].join('\n');
  return { name, script, stdout, stderr };
}
