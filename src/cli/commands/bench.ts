/**
 * `sealflow bench`: the seed workflows (examples/) against their native
 * baselines, in every configuration of the SecDATAVIEW / Bowtie2-study
 * matrix this machine can run; the rest are listed as not run, with why.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { InputError } from '../../errors.js';
import type { RunOptionsProbe } from '../../bench/matrix.js';
import { register as registerRun } from './run.js';
import { FULL_SIZES } from '../../bench/plan.js';
import type { BenchResults } from '../../bench/results.js';

interface BenchOpts {
  quick?: boolean;
  full?: boolean;
  runs?: string;
  only?: string;
  sizes?: string;
  threads?: string;
  out?: string;
  record?: boolean;
  workDir: string;
  resultsMd?: string | false;
  quiet?: boolean;
  report?: string;
}

/** Runs per configuration unless --runs says otherwise (issue 7: "N configurable, default 5"), for --quick and --full alike. */
export const DEFAULT_RUNS = 5;

/** Where results go by default: beside the runs, out of the source tree. */
export const DEFAULT_OUT = path.join('.sealflow', 'bench');
/** With --record: the tracked results, linked from bench/RESULTS.md. */
export const RECORD_OUT = path.join('bench', 'results');

/** The output directory: --out, else bench/results with --record, else .sealflow/bench. */
function outDirOf(opts: BenchOpts): string {
  return path.resolve(opts.out ?? (opts.record ? RECORD_OUT : DEFAULT_OUT));
}

/**
 * The RESULTS.md to link the latest results from, or null: only when asked —
 * `--results-md FILE`, or `--record` (RESULTS.md beside the output directory).
 */
function resultsMdOf(opts: BenchOpts, outDir: string): string | null {
  if (opts.resultsMd === false) return null;
  if (typeof opts.resultsMd === 'string') return path.resolve(opts.resultsMd);
  return opts.record ? path.join(outDir, '..', 'RESULTS.md') : null;
}

const list = (v: string | undefined) => (v === undefined ? null : v.split(',').map((s) => s.trim()).filter((s) => s.length > 0));

function positiveInts(text: string, flag: string): number[] {
  const out = text.split(',').map((s) => Number(s.trim()));
  if (out.length === 0 || out.some((n) => !Number.isInteger(n) || n < 1)) throw new InputError(`${flag} ${text}: expected whole numbers of at least 1, comma-separated`);
  return out;
}

/** `--report FILE.json`: the Markdown and charts again from recorded raw results, without running anything. */
async function rewrite(file: string, opts: BenchOpts): Promise<void> {
  let results: BenchResults;
  try {
    results = JSON.parse(await readFile(file, 'utf8')) as BenchResults;
  } catch (e) {
    throw new InputError(`--report ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (results.version !== 1 || !Array.isArray(results.cases)) throw new InputError(`--report ${file}: not a sealflow bench results file (version 1)`);
  const outDir = opts.out === undefined ? path.dirname(path.resolve(file)) : path.resolve(opts.out);
  const { writeResults } = await import('../../bench/write.js');
  const w = await writeResults(results, outDir, resultsMdOf(opts, outDir));
  process.stdout.write([`report:  ${w.markdown}`, ...w.svgs.map((s) => `chart:   ${s}`), ...(w.resultsMd ? [`linked from ${w.resultsMd}`] : [])].join('\n') + '\n');
}

async function action(opts: BenchOpts, cmd: Command): Promise<void> {
  if (opts.report !== undefined) return rewrite(opts.report, opts);
  if (opts.quick && opts.full) throw new InputError('bench: give --quick or --full, not both');
  const mode = opts.full ? 'full' : 'quick';
  const runsGiven = opts.runs !== undefined ? positiveInts(opts.runs, '--runs') : [DEFAULT_RUNS];
  if (runsGiven.length !== 1) throw new InputError(`--runs ${opts.runs}: expected one whole number of at least 1`);
  const runs = runsGiven[0]!;
  // The harness (it runs workflows in this process) loads with the action: `bench --help` stays light.
  const [{ runBench }, { detectCapabilities }, { createBenchProgress }, { stamp, writeResults }] = await Promise.all([
    import('../../bench/run-bench.js'),
    import('../../bench/matrix.js'),
    import('../../bench/progress.js'),
    import('../../bench/write.js'),
  ]);
  const progress = createBenchProgress(process.stderr, opts.quiet === true);
  const argv = process.argv.slice(process.argv.indexOf(cmd.name()));
  const outDir = outDirOf(opts);
  // After each case, the raw results so far: `--report <it>` renders them if the run is killed.
  let checkpoint: string | null = null;
  const afterCase = async (partial: BenchResults): Promise<void> => {
    checkpoint ??= path.join(outDir, `${stamp(partial.startedAt)}.partial.json`);
    await mkdir(outDir, { recursive: true });
    await writeFile(`${checkpoint}.tmp`, `${JSON.stringify(partial, null, 1)}\n`);
    await rename(`${checkpoint}.tmp`, checkpoint);
  };
  const results = await runBench({
    mode,
    runs,
    only: list(opts.only),
    sizes: list(opts.sizes),
    threads: opts.threads !== undefined ? positiveInts(opts.threads, '--threads') : null,
    workDir: path.resolve(opts.workDir),
    command: `sealflow ${argv.join(' ')}`,
    progress,
    afterCase,
    capabilities: detectCapabilities(probeRunOptions()),
  });
  progress.end();
  const w = await writeResults(results, outDir, resultsMdOf(opts, outDir));
  if (checkpoint !== null) await rm(checkpoint, { force: true });
  const failed = results.cases.some((c) => c.prepareError !== undefined || c.configs.some((r) => r.failed !== undefined));
  process.stdout.write([`results: ${w.json}`, `report:  ${w.markdown}`, ...w.svgs.map((s) => `chart:   ${s}`), ...(w.resultsMd ? [`linked from ${w.resultsMd}`] : [])].join('\n') + '\n');
  if (failed) {
    process.stderr.write('sealflow bench: some runs failed (see the report)\n');
    process.exitCode = 1;
  }
}

export function register(program: Command): void {
  program
    .command('bench')
    .description('benchmark the seed workflows against native baselines across the TEE / encryption configuration matrix')
    .option('--quick', `small sizes, ${DEFAULT_RUNS} runs each (the default; a few minutes)`)
    .option('--full', `two sizes per example, ${DEFAULT_RUNS} runs each, within about an hour on 2 quiet cores (${Object.entries(FULL_SIZES).map(([k, v]) => `${k} ${v.join(' + ')}`).join('; ')})`)
    .option('--runs <n>', `runs per configuration (default: ${DEFAULT_RUNS}; median, min/max and IQR are over these)`)
    .option('--only <names>', 'comma-separated examples: word-count, dna-alignment, distributed-k-means, diagnosis-recommendation')
    .option('--sizes <list>', 'comma-separated sizes for every selected example (e.g. 1MB,10MB), or example=size entries (word-count=100MB)')
    .option('--threads <list>', `thread counts for the dna-alignment scaling study (default: 1, 2, 4, … up to the ${os.availableParallelism()} cores)`)
    .option('--out <dir>', `where results, reports and charts go (default: ${DEFAULT_OUT}; with --record: ${RECORD_OUT})`)
    .option('--record', `record the results in the project: write them to ${RECORD_OUT} and link them from bench/RESULTS.md (tracked files)`)
    .option('--work-dir <dir>', 'generated inputs (kept and reused) and per-run scratch (removed)', path.join(os.tmpdir(), 'sealflow-bench'))
    .option('--results-md <file>', "file whose '## Seed workflows' section links the latest results (default: none; with --record, RESULTS.md beside --out, if it exists)")
    .option('--no-results-md', 'do not update any RESULTS.md (the default without --record)')
    .option('--quiet', 'no progress output')
    .option('--report <results.json>', 'run nothing: write the report and charts again from recorded raw results (beside it, or in --out)')
    .addHelpText(
      'after',
      '\nFor every example and size: the native baseline (a direct single-process computation, or bowtie2 run\n' +
        'directly) and each runnable sealflow configuration, interleaved, N runs each; median, min/max and IQR of\n' +
        'wall time, CPU time and peak memory (largest process via /usr/bin/time; summed process tree via /proc),\n' +
        'and the overhead against native measured in the same invocation. dna-alignment also runs at 1, 2, 4, …\n' +
        'threads. Configurations needing SGX, SEV-SNP or TDX hardware this machine lacks, or support this build\n' +
        'lacks, are listed as not run, with the reason — never estimated.\n' +
        `Writes <out>/<timestamp>.json (raw), <timestamp>.md and SVG charts (out: ${DEFAULT_OUT}, never a tracked file\n` +
        'unless --record or --out/--results-md say so); while it runs, <timestamp>.partial.json\n' +
        'holds every run finished so far (removed at the end; render it with --report if the run is cut short).\n\n' +
        'Exit status: 0 all runs succeeded; 1 some run failed (results are still written); 2 invalid options.\n' +
        'Examples:\n  sealflow bench --quick\n  sealflow bench --quick --record   # and link the results from bench/RESULTS.md\n  sealflow bench --only word-count,dna-alignment --runs 3\n  sealflow bench --only word-count --sizes 10MB,100MB --out /tmp/bench\n' +
        "  sealflow bench --full --only dna-alignment --sizes dna-alignment=3M --runs 1   # the Bowtie2 study's large input (3M pairs): ~1 h on 2 quiet cores",
    )
    .action(action);
}

/** What `sealflow run` of this build declares (`--platform`, `--no-encrypt`), read from its real registration: the benchmark runs this CLI. */
export function probeRunOptions(): RunOptionsProbe {
  const program = new Command('sealflow');
  registerRun(program);
  const run = program.commands.find((c) => c.name() === 'run');
  return { platform: run?.options.some((o) => o.long === '--platform') ?? false, noEncrypt: run?.options.some((o) => o.long === '--no-encrypt') ?? false };
}
