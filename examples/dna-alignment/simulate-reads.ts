/**
 * Simulates paired-end Illumina-like reads from a reference, deterministically:
 *
 *   node dist/examples/dna-alignment/simulate-reads.js --reference REF.fa[.gz] --pairs 10000 \
 *        -1 reads_1.fq[.gz] -2 reads_2.fq[.gz] [--seed 1] [--length 100] [--fragment 300] [--fragment-sd 50]
 *
 * Model: a fragment of normally distributed length (≥ the read length) at a
 * uniform position of a contig chosen in proportion to its length; mate 1 is
 * the fragment's start, mate 2 the reverse complement of its end (and the two
 * are swapped for half the pairs, so both strands occur). Sequencing errors:
 * substitutions at 0.2% at the 5' end rising to 1.2% at the 3' end, 1-base
 * insertions and deletions at 0.02% each, and N calls at 0.1%; Phred+33
 * qualities fall along the read and are low where an error was made. Read
 * names carry the truth: `@sim.<i> <contig>:<1-based pos>:<+|->`.
 * Output ending in `.gz` is gzip-compressed (as the Bowtie2 study's inputs were).
 * Memory holds the reference only; reads stream out.
 */
import { createWriteStream } from 'node:fs';
import { createGzip } from 'node:zlib';
import { finished, pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import { Random } from '../_lib/random.js';
import { TextSink, UsageError, isMain, parseCount, runMain } from '../_lib/cli.js';
import { readFasta, reverseComplement, type Contig } from './fasta.js';

export interface SimulateOptions {
  readonly reference: string;
  readonly pairs: number;
  readonly out1: string;
  readonly out2: string;
  readonly seed?: number;
  readonly length?: number;
  readonly fragment?: number;
  readonly fragmentSd?: number;
}

const BASES = 'ACGT';

/** Applies the error model to a read taken from the reference; returns [sequence, qualities]. */
export function sequenceRead(rng: Random, truth: string, length: number): [string, string] {
  let seq = '';
  let qual = '';
  let i = 0;
  while (seq.length < length) {
    const at = seq.length / length;
    const r = rng.float();
    let base = truth[i] ?? BASES[rng.int(4)] ?? 'A';
    let q = Math.max(2, Math.min(41, Math.round(38 - 12 * at + rng.normal() * 2)));
    if (r < 0.0002) {
      // insertion: an extra base, the reference base comes next
      base = BASES[rng.int(4)] ?? 'A';
      q = 2 + rng.int(14);
      i--;
    } else if (r < 0.0004) {
      // deletion: skip a reference base
      i++;
      base = truth[i] ?? BASES[rng.int(4)] ?? 'A';
    } else if (r < 0.0014) {
      base = 'N';
      q = 2;
    } else if (rng.float() < 0.002 + 0.01 * at) {
      let sub = BASES[rng.int(4)] ?? 'A';
      while (sub === base) sub = BASES[rng.int(4)] ?? 'A';
      base = sub;
      q = 2 + rng.int(18);
    }
    seq += base;
    qual += String.fromCharCode(33 + q);
    i++;
  }
  return [seq, qual];
}

/** A writable for `file` (gzip-compressing when it ends in `.gz`) and a promise of its completion on disk. */
function openOutput(file: string): { head: Writable; done: Promise<void> } {
  const out = createWriteStream(file);
  if (!file.endsWith('.gz')) return { head: out, done: finished(out) };
  const gz = createGzip({ level: 4 });
  return { head: gz, done: pipeline(gz, out) };
}

/** Writes `pairs` read pairs; resolves when both files are complete. */
export async function simulateReads(opts: SimulateOptions): Promise<void> {
  const length = opts.length ?? 100;
  const fragMean = opts.fragment ?? 300;
  const fragSd = opts.fragmentSd ?? 50;
  const contigs = (await readFasta(opts.reference)).filter((c) => c.seq.length >= length + 2);
  if (contigs.length === 0) throw new Error(`${opts.reference}: no sequence is longer than the read length ${length}`);
  const cumulative: number[] = [];
  let total = 0;
  for (const c of contigs) cumulative.push((total += c.seq.length));
  const rng = new Random(opts.seed ?? 1);
  const outputs = [openOutput(opts.out1), openOutput(opts.out2)] as const;
  const sinks = [new TextSink(outputs[0].head, 1 << 20), new TextSink(outputs[1].head, 1 << 20)] as const;
  for (let i = 0; i < opts.pairs; i++) {
    const x = rng.int(total);
    const contig: Contig = contigs[cumulative.findIndex((c) => x < c)] ?? contigs[0]!;
    const fragLen = Math.min(contig.seq.length - 2, Math.max(length + 2, Math.round(fragMean + rng.normal() * fragSd)));
    const pos = rng.int(contig.seq.length - fragLen + 1);
    const fwd = contig.seq.slice(pos, pos + fragLen);
    const rev = reverseComplement(fwd);
    const swap = rng.int(2) === 1;
    const [a, b] = swap ? [rev, fwd] : [fwd, rev];
    const [s1, q1] = sequenceRead(rng, a, length);
    const [s2, q2] = sequenceRead(rng, b, length);
    const name = `sim.${i + 1} ${contig.name}:${pos + 1}:${swap ? '-' : '+'}`;
    const p1 = sinks[0].write(`@${name}\n${s1}\n+\n${q1}\n`);
    const p2 = sinks[1].write(`@${name}\n${s2}\n+\n${q2}\n`);
    if (p1) await p1;
    if (p2) await p2;
  }
  await Promise.all([sinks[0].close(), sinks[1].close(), outputs[0].done, outputs[1].done]);
}

const USAGE =
  'usage: simulate-reads --reference REF.fa[.gz] --pairs N -1 OUT_1.fq[.gz] -2 OUT_2.fq[.gz] ' +
  '[--seed 1] [--length 100] [--fragment 300] [--fragment-sd 50]';

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      reference: { type: 'string' },
      pairs: { type: 'string' },
      out1: { type: 'string', short: '1' },
      out2: { type: 'string', short: '2' },
      seed: { type: 'string', default: '1' },
      length: { type: 'string', default: '100' },
      fragment: { type: 'string', default: '300' },
      'fragment-sd': { type: 'string', default: '50' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\nSimulates paired-end reads with sequencing errors (deterministic per seed).\n`);
    return;
  }
  const { reference, pairs, out1, out2 } = values;
  if (!reference || !pairs || !out1 || !out2) throw new UsageError(`--reference, --pairs, -1 and -2 are required\n${USAGE}`);
  const num = (name: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got '${v}'`);
    return n;
  };
  let n: number;
  try {
    n = parseCount(pairs);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  await simulateReads({
    reference, pairs: n, out1, out2,
    seed: num('seed', values.seed),
    length: num('length', values.length),
    fragment: num('fragment', values.fragment),
    fragmentSd: num('fragment-sd', values['fragment-sd']),
  });
  process.stderr.write(`wrote ${n} read pairs to ${out1} and ${out2}\n`);
}

if (isMain(import.meta.url)) runMain(main);
