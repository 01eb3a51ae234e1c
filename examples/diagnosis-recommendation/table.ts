/**
 * The patient table that passes between the diagnosis-recommendation steps:
 * one CSV line per patient, `age,heartRate,obese,smoker,glucose,labels`,
 * where obese and smoker are `Yes`/`No` and labels are diagnosis labels
 * joined by `_` (empty when unknown). For a recommender's output the labels
 * are the recommendations, best first.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { TextSink } from '../_lib/cli.js';
import { Random } from '../_lib/random.js';

export interface Patient {
  age: number;
  heartRate: number;
  obese: boolean;
  smoker: boolean;
  glucose: number;
  labels: string[];
}

export function formatPatient(p: Patient): string {
  return `${p.age},${p.heartRate},${p.obese ? 'Yes' : 'No'},${p.smoker ? 'Yes' : 'No'},${p.glucose},${p.labels.join('_')}\n`;
}

export function parsePatient(line: string, where: string): Patient {
  const f = line.split(',');
  const [age, heartRate, obese, smoker, glucose, labels] = f;
  const num = (s: string | undefined): number => (s !== undefined && /^\d+$/.test(s) ? Number(s) : NaN);
  const p = {
    age: num(age), heartRate: num(heartRate), obese: obese === 'Yes', smoker: smoker === 'Yes', glucose: num(glucose),
    labels: labels ? labels.split('_') : [],
  };
  if (f.length !== 6 || [p.age, p.heartRate, p.glucose].some(Number.isNaN) || !/^(Yes|No)$/.test(obese ?? '') || !/^(Yes|No)$/.test(smoker ?? '')) {
    throw new Error(`${where}: expected 'age,heartRate,Yes|No,Yes|No,glucose,labels', got '${line.slice(0, 80)}'`);
  }
  return p;
}

export async function* readTable(file: string): AsyncGenerator<Patient> {
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    n++;
    if (line !== '') yield parsePatient(line, `${file}:${n}`);
  }
}

export async function loadTable(file: string): Promise<Patient[]> {
  const rows: Patient[] = [];
  for await (const p of readTable(file)) rows.push(p);
  return rows;
}

export async function writeTable(file: string, rows: Iterable<Patient> | AsyncIterable<Patient>): Promise<number> {
  const sink = new TextSink(file);
  let n = 0;
  for await (const p of rows) {
    n++;
    const w = sink.write(formatPatient(p));
    if (w) await w;
  }
  await sink.close();
  return n;
}

/**
 * The training rows that seed the k clusters: k distinct row indices drawn
 * with the seeded generator, in draw order (as Weka's SimpleKMeans, which
 * SecDATAVIEW used, starts from random distinct instances). The workflow and
 * the direct computation share this, so "the same seed" means the same start.
 */
export function seedRows(n: number, k: number, seed: number): number[] {
  if (k > n) throw new Error(`k = ${k} clusters need at least ${k} training rows, got ${n}`);
  const rng = new Random(seed);
  const chosen = new Set<number>();
  const order: number[] = [];
  while (order.length < k) {
    const i = rng.int(n);
    if (!chosen.has(i)) {
      chosen.add(i);
      order.push(i);
    }
  }
  return order;
}
