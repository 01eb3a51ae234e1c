/**
 * The native baseline and independent check of diagnosis-recommendation:
 * the whole computation in one process and in memory — extraction,
 * 2/3 : 1/3 partition, split of the training set in halves, the two chained
 * k-means recommenders, and precision@1–4 / recall@1–3 — written separately
 * from the workflow's tasks (it shares only `seedRows`, the seeded choice of
 * initial clusters, so that the same seed means the same start).
 *
 *   node dist/examples/diagnosis-recommendation/diagnosis-direct.js RECORDS [--k 9] [--seed 20] [--threshold 0.1]
 *
 * Prints the metrics JSON (the workflow's `metrics` output).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { UsageError, isMain, runMain } from '../_lib/cli.js';
import { seedRows } from './table.js';

interface Row {
  /** age, heart rate, glucose, obese (0/1), smoker (0/1) */
  v: [number, number, number, number, number];
  labels: string[];
}

export interface DirectOptions {
  readonly k: number;
  readonly seed: number;
  readonly threshold: number;
}

function firstNumber(text: string, re: RegExp): number {
  const m = text.match(re);
  return m ? parseInt(m[1]!, 10) : 0;
}

export function parseRecords(text: string): Row[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').map((line) => {
    const diag = line.match(/diagnosis:\s*(\S+)\s*$/i);
    return {
      v: [
        firstNumber(line, /(\d{1,3})\s+years?\s+old/i),
        firstNumber(line, /heart\s?rate\s+is\s+(\d{1,3})/i),
        firstNumber(line, /glucose\s+is\s+(\d{1,3})/i),
        /has obesity/i.test(line) ? 1 : 0,
        /patient is smoker/i.test(line) ? 1 : 0,
      ],
      labels: diag ? diag[1]!.split('_') : [],
    };
  });
}

/** Fits k-means on `trainRows`; returns a function from a row to its recommended labels. */
function fit(trainRows: Row[], o: DirectOptions): (r: Row) => string[] {
  const lo = [0, 1, 2].map((i) => Math.min(...trainRows.map((r) => r.v[i]!)));
  const hi = [0, 1, 2].map((i) => Math.max(...trainRows.map((r) => r.v[i]!)));
  const scaled = (r: Row): number[] => r.v.map((x, i) => (i < 3 ? (hi[i]! > lo[i]! ? (x - lo[i]!) / (hi[i]! - lo[i]!) : 0) : x));
  const pts = trainRows.map(scaled);
  let cents = seedRows(pts.length, o.k, o.seed).map((i) => pts[i]!.slice());
  const closest = (p: number[]): number => {
    let best = -1;
    let bd = Infinity;
    for (let c = 0; c < cents.length; c++) {
      const d = p.reduce((s, x, i) => s + (x - cents[c]![i]!) ** 2, 0);
      if (d < bd) [bd, best] = [d, c];
    }
    return best;
  };
  let labelsOf: number[] = [];
  for (let it = 0; it < 100; it++) {
    const next = pts.map(closest);
    if (next.every((c, i) => c === labelsOf[i])) break;
    labelsOf = next;
    cents = cents.map((old, c) => {
      const members = pts.filter((_, i) => labelsOf[i] === c);
      if (members.length === 0) return old;
      const sum = [0, 0, 0, 0, 0];
      for (const m of members) m.forEach((x, i) => (sum[i]! += x));
      return sum.map((s) => s / members.length);
    });
  }
  const recs = cents.map((_, c) => {
    const members = trainRows.filter((_, i) => labelsOf[i] === c);
    const freq = new Map<string, number>();
    for (const m of members) for (const l of m.labels) freq.set(l, (freq.get(l) ?? 0) + 1);
    const min = Math.floor(o.threshold * members.length);
    return [...freq.entries()].filter(([, n]) => n >= min)
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
      .map(([l]) => l);
  });
  return (r) => recs[closest(scaled(r))]!;
}

export type DirectMetrics = Record<string, number>;

export function diagnose(rows: Row[], o: DirectOptions): DirectMetrics {
  const trainEnd = Math.floor((rows.length * 2) / 3);
  const trainRows = rows.slice(0, trainEnd);
  const test = rows.slice(trainEnd);
  const half = Math.floor(trainRows.length / 2);
  const labeled = trainRows.slice(0, half);
  const unlabeled = trainRows.slice(half).map((r) => ({ v: r.v, labels: [] as string[] }));
  const first = fit(labeled, o);
  const pseudo = unlabeled.map((r) => ({ v: r.v, labels: first(r) }));
  const second = fit([...labeled, ...pseudo], o);
  const m: DirectMetrics = { patients: test.length };
  const hitsAt = (truth: string[], recs: string[], k: number): number => recs.slice(0, k).filter((l) => truth.includes(l)).length;
  for (let k = 1; k <= 4; k++) {
    m[`precision@${k}`] = test.length ? (test.reduce((s, r) => s + hitsAt(r.labels, second(r), k) / k, 0) * 100) / test.length : 0;
  }
  for (let k = 1; k <= 3; k++) {
    m[`recall@${k}`] = test.length
      ? (test.reduce((s, r) => s + (r.labels.length ? hitsAt(r.labels, second(r), k) / new Set(r.labels).size : 0), 0) * 100) / test.length
      : 0;
  }
  return m;
}

export async function diagnosisDirect(file: string, o: DirectOptions): Promise<DirectMetrics> {
  return diagnose(parseRecords(await readFile(file, 'utf8')), o);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { k: { type: 'string', default: '9' }, seed: { type: 'string', default: '20' }, threshold: { type: 'string', default: '0.1' } },
  });
  const [file] = positionals;
  const o = { k: Number(values.k), seed: Number(values.seed), threshold: Number(values.threshold) };
  if (!file || positionals.length > 1 || !Number.isInteger(o.k) || !Number.isInteger(o.seed) || !(o.threshold >= 0)) {
    throw new UsageError('usage: diagnosis-direct RECORDS [--k 9] [--seed 20] [--threshold 0.1]');
  }
  process.stdout.write(`${JSON.stringify(await diagnosisDirect(file, o), null, 2)}\n`);
}

if (isMain(import.meta.url)) runMain(main);
