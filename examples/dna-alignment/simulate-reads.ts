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
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import { Random } from '../_lib/random.js';
import { UsageError, isMain, parseCount, runMain } from '../_lib/cli.js';
import { readFasta } from './fasta.js';

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

const BASES = Buffer.from('ACGT', 'latin1');
const N = 0x4e;
/** Complement of an upper-case base byte (anything else: N). */
const COMPLEMENT = new Uint8Array(256).fill(N);
COMPLEMENT[0x41] = 0x54;
COMPLEMENT[0x43] = 0x47;
COMPLEMENT[0x47] = 0x43;
COMPLEMENT[0x54] = 0x41;

/**
 * Applies the error model to a read whose true sequence starts `truth`
 * (which may be longer, for deletions; past its end, random bases), writing
 * `length` bases to `seq` and Phred+33 qualities to `qual`.
 */
export function sequenceRead(rng: Random, truth: Uint8Array, length: number, seq: Uint8Array, qual: Uint8Array): void {
  let i = 0;
  const randomBase = (): number => BASES[rng.int(4)]!;
  for (let o = 0; o < length; o++) {
    const at = o / length;
    const r = rng.float();
    let base = i < truth.length ? truth[i]! : randomBase();
    let q = Math.max(2, Math.min(41, Math.round(38 - 12 * at) + rng.int(5) - 2));
    if (r < 0.0002) {
      // insertion: an extra base; the reference base comes next
      base = randomBase();
      q = 2 + rng.int(14);
      i--;
    } else if (r < 0.0004) {
      // deletion: skip a reference base
      i++;
      base = i < truth.length ? truth[i]! : randomBase();
    } else if (r < 0.0014) {
      base = N;
      q = 2;
    } else if (rng.float() < 0.002 + 0.01 * at) {
      let sub = randomBase();
      while (sub === base) sub = randomBase();
      base = sub;
      q = 2 + rng.int(18);
    }
    seq[o] = base;
    qual[o] = 33 + q;
    i++;
  }
}

/** Buffered binary writer with backpressure. */
class ByteSink {
  private buf = Buffer.alloc(1 << 20);
  private pos = 0;
  constructor(private readonly out: Writable) {}
  /** Room for `n` more bytes (flushing first if needed); returns the buffer and offset to write at. */
  async reserve(n: number): Promise<[Buffer, number]> {
    if (this.pos + n > this.buf.length) {
      await this.flush();
      if (n > this.buf.length) this.buf = Buffer.alloc(n);
    }
    const at = this.pos;
    this.pos += n;
    return [this.buf, at];
  }
  async flush(): Promise<void> {
    if (this.pos === 0) return;
    const chunk = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }
  async close(): Promise<void> {
    await this.flush();
    this.out.end();
  }
}

/** A writable for `file` (gzip-compressing when it ends in `.gz`) and a promise of its completion on disk. */
function openOutput(file: string): { head: Writable; done: Promise<void> } {
  const out = createWriteStream(file);
  if (!file.endsWith('.gz')) return { head: out, done: finished(out) };
  const gz = createGzip({ level: 4 });
  return { head: gz, done: pipeline(gz, out) };
}

/** Writes one FASTQ record from prepared sequence and quality bytes. */
async function writeRecord(sink: ByteSink, name: Buffer, seq: Uint8Array, qual: Uint8Array): Promise<void> {
  const [buf, at] = await sink.reserve(name.length + 2 * seq.length + 6);
  let o = at;
  buf[o++] = 0x40; // @
  o += name.copy(buf, o);
  buf[o++] = 0x0a;
  buf.set(seq, o);
  o += seq.length;
  buf[o++] = 0x0a;
  buf[o++] = 0x2b; // +
  buf[o++] = 0x0a;
  buf.set(qual, o);
  o += qual.length;
  buf[o] = 0x0a;
}

/** Writes `pairs` read pairs; resolves when both files are complete. */
export async function simulateReads(opts: SimulateOptions): Promise<void> {
  const length = opts.length ?? 100;
  const fragMean = opts.fragment ?? 300;
  const fragSd = opts.fragmentSd ?? 50;
  if (length < 1) throw new Error('the read length must be at least 1');
  const contigs = (await readFasta(opts.reference))
    .filter((c) => c.seq.length >= length + 2)
    .map((c) => ({ name: c.name, seq: Buffer.from(c.seq, 'latin1') }));
  if (contigs.length === 0) throw new Error(`${opts.reference}: no sequence is longer than the read length ${length}`);
  const cumulative: number[] = [];
  let total = 0;
  for (const c of contigs) cumulative.push((total += c.seq.length));
  const rng = new Random(opts.seed ?? 1);
  const outputs = [openOutput(opts.out1), openOutput(opts.out2)] as const;
  const sinks = [new ByteSink(outputs[0].head), new ByteSink(outputs[1].head)] as const;
  const slack = 32;
  const rev = new Uint8Array(length + slack);
  const seq1 = new Uint8Array(length);
  const qual1 = new Uint8Array(length);
  const seq2 = new Uint8Array(length);
  const qual2 = new Uint8Array(length);
  for (let i = 0; i < opts.pairs; i++) {
    const x = rng.int(total);
    const contig = contigs[cumulative.findIndex((c) => x < c)] ?? contigs[0]!;
    const fragLen = Math.min(contig.seq.length - 2, Math.max(length + 2, Math.round(fragMean + rng.normal() * fragSd)));
    const pos = rng.int(contig.seq.length - fragLen + 1);
    const fwd = contig.seq.subarray(pos, pos + fragLen);
    // The start of the fragment's reverse complement (enough for a read and some deletions).
    const revLen = Math.min(fragLen, rev.length);
    for (let j = 0; j < revLen; j++) rev[j] = COMPLEMENT[fwd[fragLen - 1 - j]!]!;
    const swap = rng.int(2) === 1;
    const [a, b] = swap ? [rev.subarray(0, revLen), fwd] : [fwd, rev.subarray(0, revLen)];
    sequenceRead(rng, a, length, seq1, qual1);
    sequenceRead(rng, b, length, seq2, qual2);
    const name = Buffer.from(`sim.${i + 1} ${contig.name}:${pos + 1}:${swap ? '-' : '+'}`, 'latin1');
    await writeRecord(sinks[0], name, seq1, qual1);
    await writeRecord(sinks[1], name, seq2, qual2);
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
