/**
 * Generates synthetic free-text patient records, deterministically:
 *
 *   node dist/examples/diagnosis-recommendation/generate-records.js --records 100000 -o records.txt [--seed 1]
 *
 * 9 patient groups, each with its own age, heart-rate and glucose ranges,
 * obesity and smoking rates, and 5 diagnosis labels; a record carries 1–4 of
 * its group's labels (and, rarely, one from another group). The text varies
 * its phrasing (~150 characters a record), one record per line, ending in
 * `Diagnosis: label_label`. Streams; constant memory.
 */
import { parseArgs } from 'node:util';
import { Random } from '../_lib/random.js';
import { TextSink, UsageError, isMain, parseCount, runMain } from '../_lib/cli.js';

interface Group {
  age: [number, number];
  heartRate: [number, number];
  glucose: [number, number];
  obese: number;
  smoker: number;
  labels: string[];
}

export const GROUPS: readonly Group[] = [
  { age: [62, 80], heartRate: [88, 100], glucose: [95, 115], obese: 0.9, smoker: 0.05, labels: ['hypertension', 'atrial-fibrillation', 'heart-failure', 'angina', 'hyperlipidemia'] },
  { age: [45, 60], heartRate: [70, 82], glucose: [180, 240], obese: 0.9, smoker: 0.9, labels: ['type2-diabetes', 'neuropathy', 'retinopathy', 'nephropathy', 'obesity-syndrome'] },
  { age: [60, 78], heartRate: [100, 118], glucose: [80, 100], obese: 0.05, smoker: 0.9, labels: ['copd', 'emphysema', 'chronic-bronchitis', 'lung-nodule', 'respiratory-failure'] },
  { age: [6, 20], heartRate: [85, 105], glucose: [70, 90], obese: 0.05, smoker: 0.05, labels: ['asthma', 'allergic-rhinitis', 'eczema', 'food-allergy', 'sinusitis'] },
  { age: [22, 38], heartRate: [58, 70], glucose: [75, 95], obese: 0.05, smoker: 0.9, labels: ['migraine', 'anxiety', 'insomnia', 'tension-headache', 'depression'] },
  { age: [80, 95], heartRate: [60, 75], glucose: [90, 110], obese: 0.05, smoker: 0.05, labels: ['osteoporosis', 'osteoarthritis', 'hip-fracture', 'dementia', 'cataract'] },
  { age: [35, 50], heartRate: [72, 86], glucose: [100, 125], obese: 0.9, smoker: 0.05, labels: ['gerd', 'fatty-liver', 'gallstones', 'gastritis', 'ibs'] },
  { age: [24, 40], heartRate: [110, 130], glucose: [65, 85], obese: 0.05, smoker: 0.05, labels: ['hyperthyroidism', 'tachycardia', 'weight-loss', 'tremor', 'graves-disease'] },
  { age: [55, 72], heartRate: [62, 76], glucose: [130, 165], obese: 0.9, smoker: 0.9, labels: ['chronic-kidney-disease', 'anemia', 'gout', 'edema', 'hyperkalemia'] },
];

const SEX = ['male', 'female'];
const VISITS = ['seen today', 'follow-up', 'admitted', 'clinic visit', 'ER visit'];

export function makeRecord(rng: Random, id: number): string {
  const g = rng.pick(GROUPS);
  const range = ([lo, hi]: [number, number]): number => rng.range(lo, hi);
  const age = range(g.age);
  const hr = range(g.heartRate);
  const glucose = range(g.glucose);
  const labels = g.labels.filter(() => rng.float() < 0.45);
  if (labels.length === 0) labels.push(rng.pick(g.labels));
  if (labels.length > 4) labels.length = 4;
  if (rng.float() < 0.05) {
    const other = rng.pick(rng.pick(GROUPS).labels);
    if (!labels.includes(other)) labels.push(other);
  }
  const smoke = rng.float() < g.smoker ? 'Patient is smoker' : rng.pick(['Patient does not smoke', 'Non-smoker']);
  const obese = rng.float() < g.obese ? 'has obesity' : rng.pick(['has normal weight', 'has no obesity']);
  const hrText = rng.int(2) === 0 ? `HeartRate is ${hr}` : `heartrate is ${hr} bpm`;
  const glText = rng.int(2) === 0 ? `Glucose is ${glucose}` : `glucose is ${glucose} mg/dL`;
  const parts = rng.int(2) === 0
    ? [`#${id} ${age} year${age === 1 ? '' : 's'} old ${rng.pick(SEX)}, ${rng.pick(VISITS)}. ${hrText}, ${glText}. ${smoke}, ${obese}.`]
    : [`#${id} ${rng.pick(SEX)}, ${age} years old, ${rng.pick(VISITS)}. ${smoke} and ${obese}. ${hrText}; ${glText}.`];
  return `${parts.join('')} Diagnosis: ${labels.join('_')}\n`;
}

export async function generateRecords(opts: { records: number; seed?: number }, out: string | NodeJS.WritableStream): Promise<void> {
  const rng = new Random(opts.seed ?? 1);
  const sink = new TextSink(out as string, 1 << 20);
  for (let i = 1; i <= opts.records; i++) {
    const p = sink.write(makeRecord(rng, i));
    if (p) await p;
  }
  await sink.close();
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { records: { type: 'string' }, seed: { type: 'string', default: '1' }, output: { type: 'string', short: 'o' } },
  });
  const usage = 'usage: generate-records --records N (10000..100000) [-o FILE] [--seed 1]';
  if (!values.records) throw new UsageError(usage);
  let records: number;
  try {
    records = parseCount(values.records);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError(usage);
  await generateRecords({ records, seed }, values.output ?? process.stdout);
}

if (isMain(import.meta.url)) runMain(main);
