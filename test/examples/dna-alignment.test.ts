import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO } from '../helpers/cli.js';
import { needs } from '../helpers/needs.js';
import { simulateReads } from '../../examples/dna-alignment/simulate-reads.js';
import { alignDirect, alignArgs } from '../../examples/dna-alignment/align-direct.js';
import { compareSam } from '../../examples/dna-alignment/compare-sam.js';

// The reference and reads come from bowtie2-examples; aligning needs bowtie2, flagstat samtools.
const dataMissing = needs(['bowtie2-examples']);
const toolsMissing = needs(['bowtie2', 'bowtie2-examples', 'samtools']);
const EXAMPLES = '/usr/share/doc/bowtie2/examples';
const REF = path.join(EXAMPLES, 'reference', 'lambda_virus.fa.gz');
const EXAMPLE = path.join(REPO, 'examples', 'dna-alignment');

async function fastq(file: string): Promise<{ name: string; seq: string; qual: string }[]> {
  let data = await readFile(file);
  if (file.endsWith('.gz')) data = gunzipSync(data);
  const lines = data.toString('latin1').split('\n');
  assert.equal(lines.pop(), '', `${file} ends with a newline`);
  assert.equal(lines.length % 4, 0, `${file} has 4 lines per record`);
  const out = [];
  for (let i = 0; i < lines.length; i += 4) {
    const [h, seq, plus, qual] = lines.slice(i, i + 4) as [string, string, string, string];
    assert.ok(h.startsWith('@') && plus === '+', `record ${i / 4 + 1}`);
    assert.match(seq, /^[ACGTN]+$/);
    assert.equal(seq.length, qual.length);
    out.push({ name: h.slice(1), seq, qual });
  }
  return out;
}

describe('dna-alignment example', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sealflow-dna-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('the read simulator writes matching FASTQ pairs, the same bytes for the same seed', { skip: dataMissing }, async () => {
    const f = (n: string) => path.join(root, n);
    await simulateReads({ reference: REF, pairs: 500, out1: f('a_1.fq'), out2: f('a_2.fq'), seed: 5, length: 80 });
    await simulateReads({ reference: REF, pairs: 500, out1: f('b_1.fq.gz'), out2: f('b_2.fq.gz'), seed: 5, length: 80 });
    await simulateReads({ reference: REF, pairs: 500, out1: f('c_1.fq'), out2: f('c_2.fq'), seed: 6, length: 80 });
    const a1 = await fastq(f('a_1.fq'));
    const a2 = await fastq(f('a_2.fq'));
    assert.equal(a1.length, 500);
    assert.deepEqual(a1.map((r) => r.name), a2.map((r) => r.name));
    assert.ok(a1.every((r) => r.seq.length === 80));
    assert.deepEqual(await fastq(f('b_1.fq.gz')), a1, 'gzipped output holds the same reads');
    assert.deepEqual(await fastq(f('b_2.fq.gz')), a2);
    assert.notDeepEqual((await fastq(f('c_1.fq'))).map((r) => r.seq), a1.map((r) => r.seq));
  });

  test('simulated reads align back to where they were taken from', { skip: toolsMissing }, async () => {
    const r1 = path.join(root, 'sim_1.fq.gz');
    const r2 = path.join(root, 'sim_2.fq.gz');
    await simulateReads({ reference: REF, pairs: 2000, out1: r1, out2: r2, seed: 11 });
    const truth = new Map((await fastq(r1)).map((r) => {
      const [qname, where] = r.name.split(' ') as [string, string];
      return [qname, Number(where.split(':').at(-2))];
    }));
    const { sam } = await alignDirect({ reference: REF, reads1: r1, reads2: r2, threads: 2, outDir: path.join(root, 'sim-out'), samtools: false });
    const leftmost = new Map<string, number>();
    let records = 0;
    let mapped = 0;
    for (const line of (await readFile(sam, 'utf8')).split('\n')) {
      if (line === '' || line.startsWith('@')) continue;
      const [qname, flag, , pos] = line.split('\t') as [string, string, string, string];
      records++;
      if ((Number(flag) & 4) !== 0) continue;
      mapped++;
      leftmost.set(qname, Math.min(leftmost.get(qname) ?? Infinity, Number(pos)));
    }
    assert.equal(records, 4000);
    assert.ok(mapped / records > 0.97, `only ${mapped} of ${records} reads mapped`);
    let placed = 0;
    for (const [qname, pos] of truth) if (Math.abs((leftmost.get(qname) ?? -1e9) - pos) <= 5) placed++;
    assert.ok(placed / truth.size > 0.95, `only ${placed} of ${truth.size} pairs at their true position`);
  });

  test('with --reorder the SAM is the same for 1 and 2 threads, apart from @PG', { skip: toolsMissing }, async () => {
    const common = { reference: REF, reads1: path.join(EXAMPLES, 'reads', 'reads_1.fq.gz'), reads2: path.join(EXAMPLES, 'reads', 'reads_2.fq.gz') };
    const one = await alignDirect({ ...common, threads: 1, outDir: path.join(root, 't1') });
    const two = await alignDirect({ ...common, threads: 2, outDir: path.join(root, 't2') });
    const cmp = await compareSam(one.sam, two.sam);
    assert.ok(cmp.equal, cmp.difference);
    assert.equal(cmp.lines, 20_000 + 2); // @HD, @SQ and the records
    assert.equal(await readFile(one.flagstat!, 'utf8'), await readFile(two.flagstat!, 'utf8'));
    assert.match(await readFile(one.flagstat!, 'utf8'), /^20000 \+ 0 in total/);
    // @PG is what differs: it records each run's command line.
    assert.notEqual(await readFile(one.sam, 'utf8'), await readFile(two.sam, 'utf8'));
  });

  test('flow.yaml runs bowtie2-align-s with the arguments of the direct baseline', async () => {
    const flow = parse(await readFile(path.join(EXAMPLE, 'flow.yaml'), 'utf8')) as {
      steps: Record<string, { command: string[] }>;
    };
    const argv = flow.steps['align']?.command ?? [];
    assert.equal(argv[0], 'bowtie2-align-s');
    const expected = alignArgs({ threads: 0, index: '$(index)/ref', reads1: '$(reads1)', reads2: '$(reads2)', sam: 'aligned.sam' });
    assert.deepEqual(argv.slice(1), expected.map((a) => (a === '0' ? '$(threads)' : a)));
    const inputs = parse(await readFile(path.join(EXAMPLE, 'inputs.yaml'), 'utf8')) as Record<string, string>;
    assert.deepEqual(Object.keys(inputs).sort(), ['reads1', 'reads2', 'reference']);
  });
});
