/**
 * Generates 2-D points from Gaussian blobs, deterministically:
 *
 *   node dist/examples/distributed-k-means/generate-points.js --points 1e6 -o points.csv [--clusters 9] [--seed 1]
 *
 * Blob centres are jittered points of a grid over [-100, 100]² (3×3 for 9
 * blobs), standard deviations 5–15% of the grid spacing; each point picks a
 * blob uniformly. One `x,y` line per point, 4
 * decimals. Streams (constant memory); 10^7 points is about 170 MB.
 */
import { parseArgs } from 'node:util';
import { Random } from '../_lib/random.js';
import { TextSink, UsageError, isMain, parseCount, runMain } from '../_lib/cli.js';

export interface PointsOptions {
  readonly points: number;
  readonly clusters?: number;
  readonly seed?: number;
}

export async function generatePoints(opts: PointsOptions, out: string | NodeJS.WritableStream): Promise<void> {
  const rng = new Random(opts.seed ?? 1);
  const k = opts.clusters ?? 9;
  const side = Math.ceil(Math.sqrt(k));
  const spacing = 200 / side;
  const blobs = Array.from({ length: k }, (_, i) => ({
    x: -100 + spacing * ((i % side) + 0.5) + (rng.float() - 0.5) * spacing * 0.3,
    y: -100 + spacing * (Math.floor(i / side) + 0.5) + (rng.float() - 0.5) * spacing * 0.3,
    sd: spacing * (0.05 + rng.float() * 0.1),
  }));
  const sink = new TextSink(out as string, 1 << 20);
  for (let i = 0; i < opts.points; i++) {
    const b = rng.pick(blobs);
    const p = sink.write(`${(b.x + rng.normal() * b.sd).toFixed(4)},${(b.y + rng.normal() * b.sd).toFixed(4)}\n`);
    if (p) await p;
  }
  await sink.close();
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      points: { type: 'string' },
      clusters: { type: 'string', default: '9' },
      seed: { type: 'string', default: '1' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const usage = 'usage: generate-points --points N (e.g. 1e5, 1e7) [-o FILE] [--clusters 9] [--seed 1]';
  if (values.help) return void process.stdout.write(`${usage}\n`);
  if (!values.points) throw new UsageError(usage);
  let points: number;
  let clusters: number;
  try {
    points = parseCount(values.points);
    clusters = parseCount(values.clusters);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || clusters < 1) throw new UsageError(usage);
  await generatePoints({ points, clusters, seed }, values.output ?? process.stdout);
}

if (isMain(import.meta.url)) runMain(main);
