/**
 * The `slurm` deployment's options, validated once into a compiled form
 * (STYLE.md "States and options"). The list is closed: sealflow writes every
 * `#SBATCH` line itself, so nothing from the run configuration reaches the
 * job script except these checked values (docs/connectors/slurm.md).
 */
import { InputError } from '../../errors.js';
import { parseMemory } from '../../workflow/types.js';

/** What a `slurm` deployment may say in `sealflow.yaml` (before validation). */
export interface SlurmDeploymentOptions {
  readonly partition?: unknown;
  readonly account?: unknown;
  readonly qos?: unknown;
  /** Slurm's `--time` spellings: `MM`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`, or `UNLIMITED`. */
  readonly timeLimit?: unknown;
  /** Nodes the jobs must run on (`--nodelist`): `n1`, `n[1-4],gpu2`. */
  readonly nodelist?: unknown;
  /** Default `--cpus-per-task` when a step declares no `threads`. */
  readonly threads?: unknown;
  /** Default `--mem` when a step declares no `memory`: sealflow's spelling (`512MiB`, `2GB`, bytes). */
  readonly memory?: unknown;
  /** The cluster's `slurm.conf` for the client commands (`SLURM_CONF`); default: the client's own. */
  readonly slurmConf?: unknown;
}

export interface SlurmSettings {
  /** The deployment's name, for every error message. */
  readonly deployment: string;
  readonly partition?: string;
  readonly account?: string;
  readonly qos?: string;
  readonly timeLimit?: string;
  readonly nodelist?: string;
  readonly threads?: number;
  /** Bytes. */
  readonly memory?: number;
  readonly slurmConf?: string;
}

const KEYS = ['partition', 'account', 'qos', 'timeLimit', 'nodelist', 'threads', 'memory', 'slurmConf'] as const;

/** Partition, account and QOS names: what Slurm itself allows in them, and nothing a shell or `#SBATCH` parser treats specially. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$/;
/** A Slurm host list: names, commas, bracketed ranges. */
const NODELIST = /^[A-Za-z0-9_.\-[\],]{1,1024}$/;
/** Paths written into `#SBATCH` lines or SLURM_CONF: absolute, no whitespace, quotes or shell syntax. */
export const SAFE_PATH = /^\/[A-Za-z0-9_.\/+@-]{0,4095}$/;

/** Validates `--time`; returns it normalised (upper-case UNLIMITED) or undefined when it is not a Slurm time. */
export function parseTimeLimit(v: string): string | undefined {
  if (/^(unlimited|infinite)$/i.test(v)) return 'UNLIMITED';
  const num = (s: string | undefined, max?: number) => s === undefined || (/^\d{1,6}$/.test(s) && (max === undefined || Number(s) < max));
  let m = /^(\d+)-(\d+)(?::(\d+)(?::(\d+))?)?$/.exec(v);
  if (m) return num(m[1]) && num(m[2], 24) && num(m[3], 60) && num(m[4], 60) && /[1-9]/.test(v) ? v : undefined;
  m = /^(\d+)(?::(\d+)(?::(\d+))?)?$/.exec(v);
  if (!m) return undefined;
  const ok = m[3] === undefined ? num(m[1]) && num(m[2], 60) : num(m[1]) && num(m[2], 60) && num(m[3], 60);
  // 0 means "no limit" to Slurm: say UNLIMITED instead, so a typo never lifts the limit.
  return ok && /[1-9]/.test(v) ? v : undefined;
}

/** Seconds of a Slurm time (`parseTimeLimit`'s spellings, and sinfo's `infinite`); Infinity for no limit; undefined when it is none. */
export function slurmTimeSeconds(v: string): number | undefined {
  if (/^(unlimited|infinite)$/i.test(v)) return Infinity;
  let m = /^(\d{1,6})-(\d{1,6})(?::(\d{1,6})(?::(\d{1,6}))?)?$/.exec(v);
  if (m) return ((Number(m[1]) * 24 + Number(m[2])) * 60 + Number(m[3] ?? 0)) * 60 + Number(m[4] ?? 0);
  m = /^(\d{1,6})(?::(\d{1,6})(?::(\d{1,6}))?)?$/.exec(v);
  if (!m) return undefined;
  if (m[3] !== undefined) return (Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3]);
  return Number(m[1]) * 60 + Number(m[2] ?? 0);
}

/**
 * Bytes as Slurm's `--mem` value. Slurm's `M` and `G` are MiB and GiB
 * (1024²/1024³ bytes) and it cannot express less than 1 MiB, so the value is
 * whole GiB when the bytes are, else the bytes rounded *up* to whole MiB —
 * never less than the step asked for.
 */
export function slurmMemory(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new RangeError(`memory must be a positive whole number of bytes, not ${bytes}`);
  const GiB = 1024 ** 3;
  const MiB = 1024 ** 2;
  return bytes % GiB === 0 ? `${bytes / GiB}G` : `${Math.ceil(bytes / MiB)}M`;
}

function fail(deployment: string, msg: string): never {
  throw new InputError(`deployment "${deployment}" (slurm): ${msg}`);
}

/** Checks a `threads` value (a step's or the deployment's). */
export function checkThreads(deployment: string, v: unknown, what = 'threads'): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > 4096) fail(deployment, `${what} must be a whole number from 1 to 4096 (Slurm's --cpus-per-task), not ${JSON.stringify(v)}.`);
  return v;
}

/** Validates a deployment's options; every error names the deployment and the option and says what is allowed. */
export function compileSlurmOptions(deployment: string, raw: Readonly<Record<string, unknown>>): SlurmSettings {
  for (const k of Object.keys(raw)) {
    if (!(KEYS as readonly string[]).includes(k)) fail(deployment, `unknown option "${k}"; the slurm connector takes ${KEYS.join(', ')} (sealflow writes every #SBATCH line itself; other sbatch options are not passed through).`);
  }
  const o = raw as SlurmDeploymentOptions;
  const name = (key: 'partition' | 'account' | 'qos'): string | undefined => {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !NAME.test(v)) fail(deployment, `${key} must be a Slurm ${key} name (letters, digits, _ . + -), not ${JSON.stringify(v)}.`);
    return v;
  };
  let timeLimit: string | undefined;
  if (o.timeLimit !== undefined) {
    timeLimit = typeof o.timeLimit === 'string' ? parseTimeLimit(o.timeLimit) : undefined;
    if (timeLimit === undefined) {
      fail(deployment, `timeLimit must be a Slurm time limit — minutes ("90"), "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS" (hours < 24, minutes and seconds < 60, not zero) or "UNLIMITED" — not ${JSON.stringify(o.timeLimit)}.`);
    }
  }
  let nodelist: string | undefined;
  if (o.nodelist !== undefined) {
    if (typeof o.nodelist !== 'string' || !NODELIST.test(o.nodelist)) fail(deployment, `nodelist must be a Slurm node list such as "n1" or "node[1-4],gpu2", not ${JSON.stringify(o.nodelist)}.`);
    nodelist = o.nodelist;
  }
  const threads = o.threads === undefined ? undefined : checkThreads(deployment, o.threads);
  let memory: number | undefined;
  if (o.memory !== undefined) {
    memory = parseMemory(o.memory);
    if (memory === undefined) fail(deployment, `memory must be a positive size such as 512MiB, 2GB or a number of bytes (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), not ${JSON.stringify(o.memory)}.`);
  }
  let slurmConf: string | undefined;
  if (o.slurmConf !== undefined) {
    if (typeof o.slurmConf !== 'string' || !SAFE_PATH.test(o.slurmConf)) fail(deployment, `slurmConf must be an absolute path without spaces or quotes (the cluster's slurm.conf), not ${JSON.stringify(o.slurmConf)}.`);
    slurmConf = o.slurmConf;
  }
  const partition = name('partition');
  const account = name('account');
  const qos = name('qos');
  return {
    deployment,
    ...(partition !== undefined ? { partition } : {}),
    ...(account !== undefined ? { account } : {}),
    ...(qos !== undefined ? { qos } : {}),
    ...(timeLimit !== undefined ? { timeLimit } : {}),
    ...(nodelist !== undefined ? { nodelist } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...(memory !== undefined ? { memory } : {}),
    ...(slurmConf !== undefined ? { slurmConf } : {}),
  };
}
