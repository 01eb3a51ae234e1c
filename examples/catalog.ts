/**
 * The seed examples as the benchmark harness sees them: for each, how to make
 * inputs of a given size (the workflow's `--input name=value` pairs) and how
 * to run the native baseline on them. Sizes follow the two papers
 * (SecDATAVIEW: 10,000–100,000 records, word count to 1 GB, k-means points;
 * the Bowtie2 study: ~10,000 and ~3,000,000 reads).
 *
 *   import { EXAMPLES } from './catalog.js';
 *   const ex = EXAMPLES['word-count'];
 *   const inputs = await ex.prepare('10MB', workDir);     // { corpus: '/…/corpus-10MB.txt' }
 *   await ex.native(inputs, { threads: 2, workDir });      // the single-process baseline
 *   // sealflow run <ex.dir> --input corpus=…
 */
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCount, parseSize } from './_lib/cli.js';
import { generateCorpus } from './word-count/generate.js';
import { countDirect } from './word-count/count-direct.js';
import { simulateReads } from './dna-alignment/simulate-reads.js';
import { alignDirect } from './dna-alignment/align-direct.js';
import { generatePoints } from './distributed-k-means/generate-points.js';
import { kmeansDirect } from './distributed-k-means/kmeans-direct.js';
import { generateRecords } from './diagnosis-recommendation/generate-records.js';
import { diagnosisDirect } from './diagnosis-recommendation/diagnosis-direct.js';

/** Workflow input values by input id (paths for files), as given to `--input`. */
export type Inputs = Record<string, string>;

export interface NativeOptions {
  /** Threads the baseline may use (only dna-alignment uses more than one). */
  readonly threads: number;
  /** A scratch directory for the baseline's outputs. */
  readonly workDir: string;
}

export interface ExampleSpec {
  readonly name: string;
  /** The example directory (holding flow.yaml), in the source tree. */
  readonly dir: string;
  /** Size labels: the quick ones run in seconds, `full` spans the papers' range. */
  readonly sizes: { readonly quick: readonly string[]; readonly full: readonly string[] };
  /** Creates (or reuses, if present) the inputs for `size` under `dataDir`. Deterministic (seed 1). */
  prepare(size: string, dataDir: string): Promise<Inputs>;
  /** Runs the native baseline on `inputs`. */
  native(inputs: Inputs, opts: NativeOptions): Promise<void>;
}

/** examples/, in the source tree, from dist/examples/catalog.js or examples/catalog.ts. */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE = existsSync(path.join(HERE, 'word-count', 'flow.yaml')) ? HERE : path.resolve(HERE, '..', '..', 'examples');

/** A temporary name beside `file` that keeps its extension (writers choose e.g. gzip by `.gz`). */
const partialName = (file: string): string => path.join(path.dirname(file), `.partial-${process.pid}-${path.basename(file)}`);

/**
 * `files[0]` (and the files made with it), made by `make` under temporary
 * names and then renamed, unless `files[0]` exists already (it is renamed
 * last, so it exists only when all do).
 */
async function cached(files: readonly [string, ...string[]], make: (...tmp: string[]) => Promise<unknown>): Promise<string> {
  if (!existsSync(files[0])) {
    await mkdir(path.dirname(files[0]), { recursive: true });
    const tmp = files.map(partialName);
    await make(...tmp);
    for (let i = files.length - 1; i >= 0; i--) await rename(tmp[i]!, files[i]!);
  }
  return files[0];
}

const need = (inputs: Inputs, id: string): string => {
  const v = inputs[id];
  if (v === undefined) throw new Error(`missing input '${id}'`);
  return v;
};

const LAMBDA = '/usr/share/doc/bowtie2/examples';

export const EXAMPLES: Readonly<Record<string, ExampleSpec>> = {
  'word-count': {
    name: 'word-count',
    dir: path.join(SOURCE, 'word-count'),
    sizes: { quick: ['10MB'], full: ['10MB', '100MB', '1GB'] },
    async prepare(size, dataDir) {
      const corpus = await cached([path.join(dataDir, `corpus-${size}.txt`)], (f) => generateCorpus({ size: parseSize(size), seed: 1 }, f!));
      return { corpus };
    },
    async native(inputs, o) {
      await countDirect(need(inputs, 'corpus'), path.join(o.workDir, 'counts.tsv'));
    },
  },
  'dna-alignment': {
    name: 'dna-alignment',
    dir: path.join(SOURCE, 'dna-alignment'),
    // "lambda": the 10,000 pairs of bowtie2-examples; otherwise simulated pairs from the lambda reference.
    sizes: { quick: ['lambda'], full: ['lambda', '3M'] },
    async prepare(size, dataDir) {
      const reference = path.join(LAMBDA, 'reference', 'lambda_virus.fa.gz');
      if (size === 'lambda') {
        return { reference, reads1: path.join(LAMBDA, 'reads', 'reads_1.fq.gz'), reads2: path.join(LAMBDA, 'reads', 'reads_2.fq.gz') };
      }
      const pairs = parseCount(size);
      const reads2 = path.join(dataDir, `reads-${size}_2.fq.gz`);
      const reads1 = await cached([path.join(dataDir, `reads-${size}_1.fq.gz`), reads2], (f1, f2) => simulateReads({ reference, pairs, out1: f1!, out2: f2!, seed: 1 }));
      return { reference, reads1, reads2 };
    },
    async native(inputs, o) {
      await alignDirect({
        reference: need(inputs, 'reference'), reads1: need(inputs, 'reads1'), reads2: need(inputs, 'reads2'),
        threads: o.threads, outDir: o.workDir,
      });
    },
  },
  'distributed-k-means': {
    name: 'distributed-k-means',
    dir: path.join(SOURCE, 'distributed-k-means'),
    sizes: { quick: ['1e5'], full: ['1e5', '1e6', '1e7'] },
    async prepare(size, dataDir) {
      const points = await cached([path.join(dataDir, `points-${size}.csv`)], (f) => generatePoints({ points: parseCount(size), seed: 1 }, f!));
      return { points };
    },
    async native(inputs) {
      await kmeansDirect(need(inputs, 'points'), { k: Number(inputs['k'] ?? 9), maxRounds: Number(inputs['maxRounds'] ?? 20), seed: Number(inputs['seed'] ?? 1) });
    },
  },
  'diagnosis-recommendation': {
    name: 'diagnosis-recommendation',
    dir: path.join(SOURCE, 'diagnosis-recommendation'),
    sizes: { quick: ['10k'], full: ['10k', '50k', '100k'] },
    async prepare(size, dataDir) {
      const records = await cached([path.join(dataDir, `records-${size}.txt`)], (f) => generateRecords({ records: parseCount(size), seed: 1 }, f!));
      return { records };
    },
    async native(inputs) {
      await diagnosisDirect(need(inputs, 'records'), { k: 9, seed: 20, threshold: 0.1 });
    },
  },
};
