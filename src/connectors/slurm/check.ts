/**
 * What `sealflow check` asks of a slurm deployment before anything runs:
 * does its partition exist and take jobs, and do the time limit, threads and
 * memory fit it? One `sinfo` call, no job. This matters because clusters
 * that do not enforce partition limits at submission (`EnforcePartLimits=NO`,
 * Slurm's default) accept a job beyond them and leave it pending forever.
 */
import { slurmTimeSeconds } from './options.js';
import { SlurmOutputError } from './parse.js';

/** The `sinfo -h -N -o` format `parseSinfo` reads: node, partition, partition with `*` if default, availability, time limit, CPUs, memory (MiB). */
export const SINFO_FORMAT = '%N|%R|%P|%a|%l|%c|%m';

export interface SinfoNode {
  readonly node: string;
  readonly partition: string;
  /** The cluster's default partition. */
  readonly isDefault: boolean;
  /** `up`, `down`, `drain` or `inact`. */
  readonly avail: string;
  /** The partition's time limit in seconds (Infinity: none). */
  readonly timeLimit: number;
  readonly cpus: number;
  /** MiB. */
  readonly memory: number;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$/;

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

/** Lines of `sinfo -h -N -o '%N|%R|%P|%a|%l|%c|%m'`, strictly. */
export function parseSinfo(stdout: string): SinfoNode[] {
  if (stdout.length > 64 * 1024 * 1024) throw new SlurmOutputError('sinfo printed more than 64 MiB');
  const lines = stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => {
    const f = line.split('|');
    if (f.length !== 7) throw new SlurmOutputError(`sinfo printed ${quote(line)}, not "node|partition|partition*|avail|timelimit|cpus|memory"`);
    const [node, partition, shown, avail, time, cpus, memory] = f as [string, string, string, string, string, string, string];
    if (!NAME.test(node) || !NAME.test(partition)) throw new SlurmOutputError(`sinfo printed ${quote(line)}: node or partition name out of shape`);
    if (shown !== partition && shown !== `${partition}*`) throw new SlurmOutputError(`sinfo printed ${quote(line)}: partition ${quote(shown)} is not ${quote(partition)}`);
    if (!['up', 'down', 'drain', 'inact'].includes(avail)) throw new SlurmOutputError(`sinfo printed availability ${quote(avail)}`);
    const timeLimit = time === 'n/a' ? Infinity : slurmTimeSeconds(time);
    if (timeLimit === undefined) throw new SlurmOutputError(`sinfo printed time limit ${quote(time)}`);
    if (!/^\d{1,7}$/.test(cpus) || !/^\d{1,12}$/.test(memory)) throw new SlurmOutputError(`sinfo printed ${quote(line)}: CPUs or memory not a number`);
    return { node, partition, isDefault: shown.endsWith('*'), avail, timeLimit, cpus: Number(cpus), memory: Number(memory) };
  });
}

export interface CheckRequest {
  readonly partition?: string;
  readonly timeLimit?: string;
  readonly threads?: number;
  /** Bytes. */
  readonly memory?: number;
}

/**
 * Problems of a request against the nodes sinfo listed, each one line
 * (without the deployment prefix) saying what to do; empty when it fits.
 */
export function checkAgainst(nodes: readonly SinfoNode[], req: CheckRequest): string[] {
  const inPartition = nodes.filter((n) => (req.partition === undefined ? n.isDefault : n.partition === req.partition));
  const name = req.partition === undefined ? "the cluster's default partition" : `partition "${req.partition}"`;
  if (inPartition.length === 0) {
    const known = [...new Set(nodes.map((n) => n.partition))].sort();
    return [`${name} does not exist — name one of ${known.length ? known.join(', ') : '(none: sinfo lists no partition)'} in the deployment's partition option.`];
  }
  const problems: string[] = [];
  const avail = inPartition[0]!.avail;
  if (avail !== 'up') problems.push(`${name} is ${avail}, so its jobs do not start — use another partition or ask the cluster's operators.`);
  const limit = inPartition[0]!.timeLimit;
  const want = req.timeLimit === undefined ? undefined : slurmTimeSeconds(req.timeLimit);
  if (want !== undefined && want > limit) {
    problems.push(`timeLimit ${req.timeLimit} is beyond ${name}'s limit of ${formatSeconds(limit)}, so the job would wait forever — lower the deployment's timeLimit.`);
  }
  const cpus = Math.max(...inPartition.map((n) => n.cpus));
  if (req.threads !== undefined && req.threads > cpus) problems.push(`threads ${req.threads} is more than any node of ${name} has (${cpus} CPUs) — ask for fewer threads or use a partition with larger nodes.`);
  const mem = Math.max(...inPartition.map((n) => n.memory));
  if (req.memory !== undefined && Math.ceil(req.memory / 1024 ** 2) > mem) {
    problems.push(`memory ${Math.ceil(req.memory / 1024 ** 2)} MiB is more than any node of ${name} has (${mem} MiB) — ask for less memory or use a partition with larger nodes.`);
  }
  return problems;
}

function formatSeconds(s: number): string {
  if (s === Infinity) return 'none';
  const d = Math.floor(s / 86400);
  const hms = [Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60), s % 60].map((x) => String(x).padStart(2, '0')).join(':');
  return d > 0 ? `${d}-${hms}` : hms;
}
