/**
 * The native baseline of the dna-alignment example: the same commands as
 * flow.yaml, run directly in one directory, without sealflow.
 *
 *   node dist/examples/dna-alignment/align-direct.js --reference REF --reads1 R1 --reads2 R2 \
 *        [--threads 2] [--out DIR] [--no-samtools]
 *
 * Writes DIR/index/ref.*.bt2, DIR/aligned.sam and, unless --no-samtools,
 * DIR/sorted.bam and DIR/flagstat.txt. Prints the seconds each command took.
 */
import { spawn } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, isMain, runMain } from '../_lib/cli.js';

export interface AlignOptions {
  readonly reference: string;
  readonly reads1: string;
  readonly reads2: string;
  /** `-p` of bowtie2-align-s (and --threads / -@ of the other tools). Default 1. */
  readonly threads?: number;
  /** Output directory (created). */
  readonly outDir: string;
  /** Also run samtools sort and flagstat. Default true. */
  readonly samtools?: boolean;
}

export interface AlignResult {
  readonly sam: string;
  readonly bam?: string;
  readonly flagstat?: string;
  /** Wall seconds per command: build, align, sort, flagstat. */
  readonly seconds: Readonly<Record<string, number>>;
}

/** The bowtie2-align-s arguments the workflow uses (without the program name). */
export function alignArgs(o: { threads: number; index: string; reads1: string; reads2: string; sam: string }): string[] {
  return ['-p', String(o.threads), '--reorder', '-x', o.index, '-1', o.reads1, '-2', o.reads2, '-S', o.sam];
}

/** Runs a program; rejects with its exit status and the tail of its stderr. `stdout` may name a file. */
export async function runProgram(argv: readonly string[], cwd: string, stdout?: string): Promise<void> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('empty command');
  const out = stdout ? await open(path.join(cwd, stdout), 'w') : undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(cmd, args, { cwd, stdio: ['ignore', out ? out.fd : 'ignore', 'pipe'] });
      let err = '';
      child.stderr?.on('data', (b: Buffer) => {
        err = (err + b.toString()).slice(-4000);
      });
      child.on('error', (e) => reject(new Error(`${cmd}: ${e.message} (is it installed and on PATH?)`)));
      child.on('close', (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`${argv.join(' ')} failed (${signal ?? `exit ${code}`}):\n${err.trimEnd()}`));
      });
    });
  } finally {
    await out?.close();
  }
}

export async function alignDirect(opts: AlignOptions): Promise<AlignResult> {
  const threads = opts.threads ?? 1;
  const dir = path.resolve(opts.outDir);
  await mkdir(path.join(dir, 'index'), { recursive: true });
  const seconds: Record<string, number> = {};
  const timed = async (name: string, argv: string[], stdout?: string): Promise<void> => {
    const t = process.hrtime.bigint();
    await runProgram(argv, dir, stdout);
    seconds[name] = Number(process.hrtime.bigint() - t) / 1e9;
  };
  const abs = (f: string): string => path.resolve(f);
  await timed('build', ['bowtie2-build', '--threads', String(threads), '--seed', '0', '-q', abs(opts.reference), 'index/ref']);
  await timed('align', ['bowtie2-align-s', ...alignArgs({
    threads, index: 'index/ref', reads1: abs(opts.reads1), reads2: abs(opts.reads2), sam: 'aligned.sam',
  })]);
  const sam = path.join(dir, 'aligned.sam');
  if (opts.samtools === false) return { sam, seconds };
  await timed('sort', ['samtools', 'sort', '-@', String(threads), '-o', 'sorted.bam', 'aligned.sam']);
  await timed('flagstat', ['samtools', 'flagstat', 'sorted.bam'], 'flagstat.txt');
  return { sam, bam: path.join(dir, 'sorted.bam'), flagstat: path.join(dir, 'flagstat.txt'), seconds };
}

const USAGE = 'usage: align-direct --reference REF --reads1 R1 --reads2 R2 [--threads N] [--out DIR] [--no-samtools]';

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      reference: { type: 'string' },
      reads1: { type: 'string' },
      reads2: { type: 'string' },
      threads: { type: 'string', default: '1' },
      out: { type: 'string', default: 'align-direct-out' },
      'no-samtools': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\nRuns bowtie2-build, bowtie2-align-s and samtools directly (the native baseline).\n`);
    return;
  }
  const { reference, reads1, reads2 } = values;
  if (!reference || !reads1 || !reads2) throw new UsageError(`--reference, --reads1 and --reads2 are required\n${USAGE}`);
  const threads = Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`--threads must be a positive integer, got '${values.threads}'`);
  const r = await alignDirect({ reference, reads1, reads2, threads, outDir: values.out, samtools: !values['no-samtools'] });
  for (const [k, s] of Object.entries(r.seconds)) process.stdout.write(`${k}\t${s.toFixed(3)} s\n`);
  process.stdout.write(`sam\t${r.sam}\n`);
}

if (isMain(import.meta.url)) runMain(main);
