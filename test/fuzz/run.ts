/**
 * The fuzz runner (docs/fuzzing.md). It loads every compiled target file
 * `dist/test/fuzz/targets/*.js` (each exports `targets: FuzzTarget[]`) and
 * feeds each target its seeds, then mutated copies of them from a PRNG with a
 * fixed seed (mutators.ts), in a child process it can kill (child.ts). Each
 * input must be accepted or refused with the target's own error. A foreign
 * throw, a crash of the process, or an input running past the hang limit is a
 * failure: the input is saved as `test/fuzz/crashes/<target>/<sha256>.bin`
 * and a one-line repro command is printed.
 *
 *   node dist/test/fuzz/run.js [--n 100000] [--seed N] [--target NAME]... [--hang-ms MS]
 *   node dist/test/fuzz/run.js --repro NAME FILE
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ChildHandle, type Result, type Stop } from './child-handle.js';
import { mutate, Prng } from './mutators.js';
import type { FuzzTarget } from './target.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** dist/test/fuzz/targets. */
export const TARGET_DIR = path.join(HERE, 'targets');
/** The repository root (dist/test/fuzz → ../../..). */
export const REPO = path.resolve(HERE, '../../..');
/** Where failing inputs are saved (git-ignored). */
export const CRASH_DIR = path.join(REPO, 'test', 'fuzz', 'crashes');
/** The PRNG seed of every run unless told otherwise. */
export const DEFAULT_SEED = 0x5ea1f10;
export const DEFAULT_HANG_MS = 2000;
/** Inputs sent to the target process at once. */
const BATCH = 64;

export interface TargetEntry {
  /** The compiled target file (…/targets/<name>.js). */
  readonly file: string;
  readonly target: FuzzTarget;
}

export interface FuzzFailure {
  readonly target: string;
  readonly iteration: number;
  readonly mutator: string;
  readonly kind: 'foreign' | 'hang' | 'crash';
  readonly detail: string;
  readonly saved: string;
  readonly repro: string;
}

export interface TargetReport {
  readonly name: string;
  readonly runs: number;
  readonly accepted: number;
  readonly refused: number;
  readonly failures: readonly FuzzFailure[];
  readonly ms: number;
}

export interface FuzzOptions {
  /** Inputs per target, seeds included. */
  readonly n: number;
  readonly seed?: number;
  /** Overrides the target's own hangMs. */
  readonly hangMs?: number;
  readonly crashDir?: string;
  /** Progress and failure lines. */
  readonly log?: (line: string) => void;
  /** Log progress every this many inputs (default: never). */
  readonly progressEvery?: number;
}

/** Every target of every compiled target file in `dir`, checked for unique names. */
export async function loadTargets(dir: string = TARGET_DIR): Promise<TargetEntry[]> {
  const out: TargetEntry[] = [];
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort() : [];
  for (const f of files) out.push(...(await loadTargetFile(path.join(dir, f))));
  const names = new Set<string>();
  for (const e of out) {
    if (names.has(e.target.name)) throw new Error(`two fuzz targets are named ${e.target.name}; names must be unique`);
    names.add(e.target.name);
  }
  return out;
}

export async function loadTargetFile(file: string): Promise<TargetEntry[]> {
  const mod = (await import(pathToFileURL(file).href)) as { targets?: readonly FuzzTarget[] };
  if (!Array.isArray(mod.targets)) throw new Error(`${file} does not export 'targets: FuzzTarget[]'`);
  return mod.targets.map((target) => ({ file, target }));
}

function save(crashDir: string, target: string, input: Uint8Array): string {
  const dir = path.join(crashDir, target);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${createHash('sha256').update(input).digest('hex')}.bin`);
  fs.writeFileSync(file, input);
  return file;
}

/** Feeds `entry`'s target opts.n inputs: its seeds first, then mutations. */
export async function fuzzTarget(entry: TargetEntry, opts: FuzzOptions): Promise<TargetReport> {
  const t0 = performance.now();
  const { target } = entry;
  const seeds = await target.seeds();
  if (seeds.length === 0) throw new Error(`fuzz target ${target.name} has no seeds`);
  const hangMs = opts.hangMs ?? target.hangMs ?? DEFAULT_HANG_MS;
  // The child measures each input's CPU time against hangMs; silence this long means it never ends.
  const watchdogMs = hangMs * 5;
  const crashDir = opts.crashDir ?? CRASH_DIR;
  const log = opts.log ?? (() => {});
  const rng = new Prng(opts.seed ?? DEFAULT_SEED, target.name);
  const failures: FuzzFailure[] = [];
  let accepted = 0;
  let refused = 0;
  let child = await ChildHandle.start(entry.file, target.name);

  const fail = (i: number, mutator: string, input: Uint8Array, kind: FuzzFailure['kind'], detail: string): void => {
    const saved = save(crashDir, target.name, input);
    const shown = path.relative(process.cwd(), saved) || saved;
    const repro = `node ${path.relative(process.cwd(), path.join(HERE, 'run.js')) || 'run.js'} --repro ${target.name} ${shown}`;
    failures.push({ target: target.name, iteration: i, mutator, kind, detail, saved, repro });
    log(`FUZZ FAILURE target=${target.name} iteration=${i} mutator=${mutator} kind=${kind} saved=${shown}\n  ${detail.split('\n').join('\n  ')}\n  repro: ${repro}`);
  };

  try {
    for (let start = 0; start < opts.n; start += BATCH) {
      const inputs: Uint8Array[] = [];
      const mutators: string[] = [];
      for (let i = start; i < Math.min(opts.n, start + BATCH); i++) {
        if (i < seeds.length) {
          inputs.push(seeds[i] as Uint8Array);
          mutators.push('seed');
        } else {
          const m = mutate(seeds, rng);
          inputs.push(m.input);
          mutators.push(m.mutator);
        }
      }
      let offset = 0;
      while (offset < inputs.length) {
        const r: { results: Result[]; stop?: Stop } = await child.runBatch(start + offset, inputs.slice(offset), hangMs, watchdogMs);
        for (const res of r.results) {
          const k = res.i - start;
          if (res.verdict === 'accepted') accepted++;
          else if (res.verdict === 'refused') refused++;
          else fail(res.i, mutators[k] as string, inputs[k] as Uint8Array, res.verdict === 'slow' ? 'hang' : 'foreign', res.detail ?? '');
        }
        offset += r.results.length;
        if (r.stop !== undefined) {
          const k = r.stop.i - start;
          fail(r.stop.i, mutators[k] as string, inputs[k] as Uint8Array, r.stop.kind, r.stop.detail);
          offset++;
          child.kill();
          child = await ChildHandle.start(entry.file, target.name);
        }
      }
      const done = Math.min(opts.n, start + BATCH);
      if (opts.progressEvery !== undefined && (done % opts.progressEvery < BATCH || done === opts.n)) {
        log(`${target.name}: ${done}/${opts.n} accepted ${accepted}, refused ${refused}, failures ${failures.length}, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
    }
  } catch (err) {
    child.kill();
    throw err;
  }
  child.close();
  return { name: target.name, runs: opts.n, accepted, refused, failures, ms: performance.now() - t0 };
}

/** Runs one saved input in this process and says what happened (an uncaught foreign error is rethrown). */
export async function repro(name: string, file: string): Promise<string> {
  const entry = (await loadTargets()).find((e) => e.target.name === name);
  if (entry === undefined) throw new Error(`no fuzz target named ${name}`);
  const input = new Uint8Array(fs.readFileSync(file));
  const t0 = performance.now();
  try {
    await entry.target.run(input);
    return `accepted (${(performance.now() - t0).toFixed(0)} ms)`;
  } catch (err) {
    if (entry.target.isOwnError(err)) return `refused with the target's own error (${(performance.now() - t0).toFixed(0)} ms): ${(err as Error).message}`;
    throw err;
  }
}

const USAGE = `usage: node dist/test/fuzz/run.js [--n N] [--seed N] [--target NAME[,NAME…]] [--hang-ms MS]
       node dist/test/fuzz/run.js --repro NAME FILE
  --n N          inputs per target (default 100000)
  --seed N       the PRNG seed (default ${DEFAULT_SEED}); the same seed gives the same inputs
  --target NAME  only these targets (docs/fuzzing.md lists them)
  --hang-ms MS   CPU time per input before it counts as a hang (default 2000)
  --repro        runs one saved input (test/fuzz/crashes/<target>/<sha>.bin) in this process`;

/** A bad command line: the usage, exit 2 (no stack trace). */
class UsageError extends Error {}

function parseArgs(argv: readonly string[]): { n: number; seed: number; hangMs?: number; only: string[]; repro?: [string, string] } {
  const out: { n: number; seed: number; hangMs?: number; only: string[]; repro?: [string, string] } = { n: 100_000, seed: DEFAULT_SEED, only: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1] ?? '';
    if (a === '--help' || a === '-h') throw new UsageError('');
    if (a === '--n') out.n = Number.parseInt(v, 10);
    else if (a === '--seed') out.seed = Number.parseInt(v, 10);
    else if (a === '--hang-ms') out.hangMs = Number.parseInt(v, 10);
    else if (a === '--target') out.only.push(...v.split(','));
    else if (a === '--repro') {
      out.repro = [v, argv[i + 2] ?? ''];
      i++;
    } else throw new UsageError(`unknown argument ${a}`);
    i++;
  }
  if (!Number.isInteger(out.n) || out.n < 1) throw new UsageError('--n must be a positive whole number');
  return out;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.repro !== undefined) {
    console.log(await repro(...args.repro));
    return 0;
  }
  const all = await loadTargets();
  const unknown = args.only.filter((n) => !all.some((e) => e.target.name === n));
  if (unknown.length > 0) throw new Error(`no fuzz target named ${unknown.join(', ')}; known: ${all.map((e) => e.target.name).join(', ')}`);
  const chosen = args.only.length === 0 ? all : all.filter((e) => args.only.includes(e.target.name));
  console.log(`fuzzing ${chosen.length} targets, ${args.n} inputs each, seed ${args.seed}`);
  const reports: TargetReport[] = [];
  for (const e of chosen) {
    const opts = { n: args.n, seed: args.seed, log: (l: string) => console.log(l), progressEvery: Math.max(BATCH, Math.ceil(args.n / 10)) };
    reports.push(await fuzzTarget(e, args.hangMs === undefined ? opts : { ...opts, hangMs: args.hangMs }));
  }
  console.log('\n| target | inputs | accepted | refused | failures | seconds |\n|---|---:|---:|---:|---:|---:|');
  for (const r of reports) console.log(`| ${r.name} | ${r.runs} | ${r.accepted} | ${r.refused} | ${r.failures.length} | ${(r.ms / 1000).toFixed(0)} |`);
  return reports.some((r) => r.failures.length > 0) ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError) {
        (err.message === '' ? console.log : console.error)(err.message === '' ? USAGE : `run.js: ${err.message}\n${USAGE}`);
        process.exit(err.message === '' ? 0 : 2);
      }
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exit(2);
    },
  );
}
