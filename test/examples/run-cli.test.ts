/**
 * The four examples run end to end through `sealflow run` (the built CLI, as a
 * user runs it), and each result equals its independent computation.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO, runCli } from '../helpers/cli.js';
import { needs } from '../helpers/needs.js';
import { checkCounts } from '../../examples/word-count/check.js';
import { generateCorpus } from '../../examples/word-count/generate.js';
import { alignDirect } from '../../examples/dna-alignment/align-direct.js';
import { compareSam } from '../../examples/dna-alignment/compare-sam.js';
import { kmeansDirect } from '../../examples/distributed-k-means/kmeans-direct.js';
import { diagnosisDirect } from '../../examples/diagnosis-recommendation/diagnosis-direct.js';

interface FileOut {
  class: 'File';
  path: string;
}
type Outputs = Record<string, FileOut | FileOut[]>;

const example = (name: string): string => path.join(REPO, 'examples', name);

describe('the examples through sealflow run', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sealflow-examples-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Runs `sealflow run --json` and returns the outputs of the final result line. */
  async function run(name: string, extra: string[] = []): Promise<Outputs> {
    const out = await mkdtemp(path.join(root, `${name}-`));
    const r = await runCli(['run', '--no-encrypt', '--platform', 'none', example(name), '--json', '--state-dir', path.join(root, 'state'), '--out', out, ...extra]);
    assert.equal(r.code, 0, `sealflow run ${name} failed:\n${r.stderr.slice(-3000)}`);
    const last = r.stdout.trimEnd().split('\n').at(-1) ?? '';
    const result = JSON.parse(last) as { type: string; state: string; outputs: Outputs };
    assert.equal(result.type, 'result');
    assert.equal(result.state, 'succeeded');
    return result.outputs;
  }
  const file = (o: FileOut | FileOut[] | undefined): string => {
    assert.ok(o && !Array.isArray(o), 'expected one file output');
    return o.path;
  };

  test('word-count on the committed sample equals the direct count', async () => {
    const outputs = await run('word-count');
    const check = await checkCounts(path.join(example('word-count'), 'data', 'sample.txt'), file(outputs['counts']));
    assert.ok(check.ok, check.difference);
  });

  test('word-count on a generated 52 MB corpus equals the direct count', async () => {
    const corpus = path.join(root, 'corpus-52MB.txt');
    const size = await generateCorpus({ size: 52_000_000, seed: 11 }, corpus);
    assert.ok(size >= 51_990_000, `generated ${size} bytes`);
    const outputs = await run('word-count', ['--input', `corpus=${corpus}`]);
    const check = await checkCounts(corpus, file(outputs['counts']));
    assert.ok(check.ok, check.difference);
    await rm(corpus);
  });

  test('dna-alignment gives the SAM (apart from @PG) and flagstat of running the tools directly', { skip: needs(['bowtie2', 'bowtie2-examples', 'samtools']) }, async () => {
    const outputs = await run('dna-alignment');
    const ex = '/usr/share/doc/bowtie2/examples';
    const direct = await alignDirect({
      reference: path.join(ex, 'reference', 'lambda_virus.fa.gz'),
      reads1: path.join(ex, 'reads', 'reads_1.fq.gz'),
      reads2: path.join(ex, 'reads', 'reads_2.fq.gz'),
      threads: 2,
      outDir: path.join(root, 'dna-direct'),
    });
    const cmp = await compareSam(direct.sam, file(outputs['sam']));
    assert.ok(cmp.equal, cmp.difference);
    assert.equal(await readFile(file(outputs['flagstat']), 'utf8'), await readFile(direct.flagstat!, 'utf8'));
  });

  test('distributed-k-means gives the direct result and labels, skipping the rounds after convergence', async () => {
    const outputs = await run('distributed-k-means');
    const result = JSON.parse(await readFile(file(outputs['result']), 'utf8')) as { rounds: number; converged: boolean; sizes: number[]; centroids: number[][] };
    const d = await kmeansDirect(path.join(example('distributed-k-means'), 'data', 'points-5k.csv'), { k: 9, maxRounds: 20, tolerance: 0, seed: 1 });
    assert.equal(result.converged, true);
    assert.equal(result.rounds, d.rounds);
    assert.deepEqual(result.sizes, d.sizes);
    result.centroids.forEach(([x, y], c) => assert.ok(Math.abs(x! - d.centroids[c]![0]) < 1e-9 && Math.abs(y! - d.centroids[c]![1]) < 1e-9));
    const labels = outputs['labels'];
    assert.ok(Array.isArray(labels) && labels.length === 4);
    const text = (await Promise.all(labels.map((l) => readFile(l.path, 'utf8')))).join('');
    assert.equal(text, Array.from(d.labels, (c) => `${c}\n`).join(''));
  });

  test('diagnosis-recommendation gives the metrics of the direct computation', async () => {
    const outputs = await run('diagnosis-recommendation');
    const metrics = JSON.parse(await readFile(file(outputs['metrics']), 'utf8')) as unknown;
    const records = path.join(example('diagnosis-recommendation'), 'data', 'records-1k.txt');
    assert.deepEqual(metrics, await diagnosisDirect(records, { k: 9, seed: 20, threshold: 0.1 }));
  });
});
