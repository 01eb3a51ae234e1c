/**
 * The native baseline and independent check of distributed-k-means: Lloyd's
 * algorithm in one process, all points in memory, with the same initial
 * centroids (`InitialCentroids`, same seed) and the same stopping rule.
 *
 *   node dist/examples/distributed-k-means/kmeans-direct.js POINTS [--k 9] [--max-rounds 20]
 *        [--tolerance 0] [--seed 1] [--labels OUT.txt]
 *
 * Prints the result JSON (the workflow's `result` output).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { UsageError, isMain, runMain } from '../_lib/cli.js';
import { InitialCentroids } from './points.js';
import { forEachPoint } from './parse.js';

export interface DirectOptions {
  readonly k: number;
  readonly maxRounds: number;
  readonly tolerance?: number;
  readonly seed: number;
}

export interface DirectResult {
  k: number;
  rounds: number;
  converged: boolean;
  centroids: [number, number][];
  sizes: number[];
  sse: number;
  labels: Uint32Array;
}

export async function readPoints(file: string): Promise<Float64Array> {
  let xy = new Float64Array(1 << 16);
  let n = 0;
  await forEachPoint(file, (x, y) => {
    if (2 * n + 2 > xy.length) {
      const bigger = new Float64Array(xy.length * 2);
      bigger.set(xy);
      xy = bigger;
    }
    xy[2 * n] = x;
    xy[2 * n + 1] = y;
    n++;
  });
  return xy.subarray(0, 2 * n);
}

export function kmeans(xy: Float64Array, opts: DirectOptions): DirectResult {
  const n = xy.length / 2;
  const k = opts.k;
  const tolerance = opts.tolerance ?? 0;
  const cx = new Float64Array(k);
  const cy = new Float64Array(k);
  const initial = new InitialCentroids(opts.seed);
  for (let i = 0; i < n; i++) initial.offer(xy[2 * i]!, xy[2 * i + 1]!);
  initial.choose(k).forEach(([x, y], c) => {
    cx[c] = x;
    cy[c] = y;
  });
  const labels = new Uint32Array(n);
  const assign = (): void => {
    for (let i = 0; i < n; i++) {
      const x = xy[2 * i]!;
      const y = xy[2 * i + 1]!;
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        const d = (x - cx[c]!) ** 2 + (y - cy[c]!) ** 2;
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      labels[i] = best;
    }
  };
  let rounds = 0;
  let converged = false;
  while (rounds < opts.maxRounds && !converged) {
    rounds++;
    assign();
    const sx = new Float64Array(k);
    const sy = new Float64Array(k);
    const cnt = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      sx[c]! += xy[2 * i]!;
      sy[c]! += xy[2 * i + 1]!;
      cnt[c]! += 1;
    }
    let shift = 0;
    for (let c = 0; c < k; c++) {
      if (cnt[c] === 0) continue;
      const nx = sx[c]! / cnt[c]!;
      const ny = sy[c]! / cnt[c]!;
      shift = Math.max(shift, Math.hypot(nx - cx[c]!, ny - cy[c]!));
      cx[c] = nx;
      cy[c] = ny;
    }
    converged = shift <= tolerance;
  }
  assign();
  const sizes = new Array<number>(k).fill(0);
  let sse = 0;
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    sizes[c]! += 1;
    sse += (xy[2 * i]! - cx[c]!) ** 2 + (xy[2 * i + 1]! - cy[c]!) ** 2;
  }
  const centroids = Array.from(cx, (x, c): [number, number] => [x, cy[c]!]);
  return { k, rounds, converged, centroids, sizes, sse, labels };
}

export async function kmeansDirect(file: string, opts: DirectOptions): Promise<DirectResult> {
  return kmeans(await readPoints(file), opts);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      k: { type: 'string', default: '9' },
      'max-rounds': { type: 'string', default: '20' },
      tolerance: { type: 'string', default: '0' },
      seed: { type: 'string', default: '1' },
      labels: { type: 'string' },
    },
  });
  const usage = 'usage: kmeans-direct POINTS [--k 9] [--max-rounds 20] [--tolerance 0] [--seed 1] [--labels OUT.txt]';
  const [file] = positionals;
  const k = Number(values.k);
  const maxRounds = Number(values['max-rounds']);
  const tolerance = Number(values.tolerance);
  const seed = Number(values.seed);
  if (!file || positionals.length > 1 || ![k, maxRounds, seed].every(Number.isInteger) || !(tolerance >= 0)) throw new UsageError(usage);
  const { labels, ...result } = await kmeansDirect(file, { k, maxRounds, tolerance, seed });
  if (values.labels) await writeFile(values.labels, Array.from(labels, (c) => `${c}\n`).join(''));
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (isMain(import.meta.url)) runMain(main);
