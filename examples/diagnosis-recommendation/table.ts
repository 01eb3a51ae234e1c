/**
 * The patient table that passes between the diagnosis-recommendation steps:
 * one CSV line per patient, `age,heartRate,obese,smoker,glucose,labels`,
 * where obese and smoker are `Yes`/`No` and labels are diagnosis labels
 * joined by `_` (empty when unknown). For a recommender's output the labels
 * are the recommendations, best first.
 */
import { readFile } from 'node:fs/promises';
import { TextSink } from './lib/text-sink.js';
import { Random } from './lib/random.js';

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

const DIGITS = /^\d+$/;

export function parsePatient(line: string, where: string): Patient {
  const f = line.split(',');
  const [age, heartRate, obese, smoker, glucose, labels] = f;
  const num = (s: string | undefined): number => (s !== undefined && DIGITS.test(s) ? Number(s) : NaN);
  const yesNo = (s: string | undefined): boolean | null => (s === 'Yes' ? true : s === 'No' ? false : null);
  const o = yesNo(obese);
  const sm = yesNo(smoker);
  const p = { age: num(age), heartRate: num(heartRate), obese: o === true, smoker: sm === true, glucose: num(glucose), labels: labels ? labels.split('_') : [] };
  if (f.length !== 6 || Number.isNaN(p.age) || Number.isNaN(p.heartRate) || Number.isNaN(p.glucose) || o === null || sm === null) {
    throw new Error(`${where}: expected 'age,heartRate,Yes|No,Yes|No,glucose,labels', got '${line.slice(0, 80)}'`);
  }
  return p;
}

/**
 * The rows of a table file. Tables are small (a few MB at 100,000 patients),
 * so the file is read whole and split on bytes; blank lines are skipped.
 */
export async function loadTable(file: string): Promise<Patient[]> {
  const text = await readFile(file, 'latin1');
  const rows: Patient[] = [];
  let n = 0;
  for (let start = 0; start < text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    n++;
    const line = text.charCodeAt(end - 1) === 0x0d ? text.slice(start, end - 1) : text.slice(start, end);
    if (line !== '') rows.push(parsePatient(line, `${file}:${n}`));
    start = end + 1;
  }
  return rows;
}

/** The rows of a table file, one at a time (see `loadTable`). */
export async function* readTable(file: string): AsyncGenerator<Patient> {
  yield* await loadTable(file);
}

export async function writeTable(file: string, rows: Iterable<Patient> | AsyncIterable<Patient>): Promise<number> {
  const sink = new TextSink(file, 1 << 20);
  let n = 0;
  if (Symbol.iterator in rows) {
    for (const p of rows) {
      n++;
      const w = sink.write(formatPatient(p));
      if (w) await w;
    }
  } else {
    for await (const p of rows) {
      n++;
      const w = sink.write(formatPatient(p));
      if (w) await w;
    }
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
