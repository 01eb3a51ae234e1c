import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO } from '../helpers/cli.js';
import { runTask } from '../helpers/task-context.js';
import { extract, extractPatient } from '../../examples/diagnosis-recommendation/tasks/extract.js';
import { partition, split } from '../../examples/diagnosis-recommendation/tasks/partition.js';
import { recommender } from '../../examples/diagnosis-recommendation/tasks/recommend.js';
import { evaluate } from '../../examples/diagnosis-recommendation/tasks/evaluate.js';
import { generateRecords } from '../../examples/diagnosis-recommendation/generate-records.js';
import { diagnosisDirect } from '../../examples/diagnosis-recommendation/diagnosis-direct.js';
import { loadTable } from '../../examples/diagnosis-recommendation/table.js';

const SAMPLE = path.join(REPO, 'examples', 'diagnosis-recommendation', 'data', 'records-1k.txt');

/** The six tasks wired as in flow.yaml. */
async function runWorkflow(records: string, root: string, o = { k: 9, seed: 20, threshold: 0.1 }) {
  const e = await runTask(extract, { records }, root, 'extract');
  const p = await runTask(partition, { table: e.table }, root, 'partition');
  const s = await runTask(split, { train: p.train }, root, 'split');
  const r1 = await runTask(recommender, { labeled: s.labeled, pseudoLabeled: null, target: s.unlabeled, ...o }, root, 'recommend1');
  const r2 = await runTask(recommender, { labeled: s.labeled, pseudoLabeled: r1.recommended, target: p.test, ...o }, root, 'recommend2');
  const ev = await runTask(evaluate, { truth: p.test, recommended: r2.recommended }, root, 'evaluate');
  return { metrics: JSON.parse(await readFile(ev.metrics, 'utf8')) as Record<string, number>, ...p, ...s };
}

describe('diagnosis-recommendation example', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sealflow-diag-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('extraction reads every field of both phrasings the generator uses', () => {
    assert.deepEqual(
      extractPatient('#7 female, 25 years old, ER visit. Patient is smoker and has no obesity. HeartRate is 103; glucose is 91 mg/dL. Diagnosis: sinusitis_asthma'),
      { age: 25, heartRate: 103, glucose: 91, smoker: true, obese: false, labels: ['sinusitis', 'asthma'] },
    );
    assert.deepEqual(
      extractPatient('#8 1 year old male, seen today. heartrate is 99 bpm, Glucose is 80. Patient does not smoke, has obesity. Diagnosis: eczema'),
      { age: 1, heartRate: 99, glucose: 80, smoker: false, obese: true, labels: ['eczema'] },
    );
    assert.deepEqual(extractPatient('no fields here'), { age: 0, heartRate: 0, glucose: 0, smoker: false, obese: false, labels: [] });
  });

  test('the workflow computes the same metrics as the direct computation on the committed 1,000 records', async () => {
    const { metrics, train, test: testSet, labeled, unlabeled } = await runWorkflow(SAMPLE, root);
    assert.deepEqual(metrics, await diagnosisDirect(SAMPLE, { k: 9, seed: 20, threshold: 0.1 }));
    assert.equal(metrics['patients'], 334);
    assert.equal((await loadTable(train)).length, 666);
    assert.equal((await loadTable(testSet)).length, 334);
    assert.equal((await loadTable(labeled)).length, 333);
    assert.ok((await loadTable(unlabeled)).every((p) => p.labels.length === 0), 'the unlabelled half has no labels');
    for (const k of ['precision@1', 'precision@2', 'precision@3', 'precision@4', 'recall@1', 'recall@2', 'recall@3']) {
      assert.ok(metrics[k]! > 0 && metrics[k]! <= 100, `${k} = ${metrics[k]}`);
    }
  });

  test('the workflow equals the direct computation on 10,000 generated records, for other k, seed and threshold', async () => {
    const records = path.join(root, 'records-10k.txt');
    await generateRecords({ records: 10_000, seed: 4 }, records);
    const text = await readFile(records, 'utf8');
    const lines = text.trimEnd().split('\n');
    const avg = text.length / lines.length;
    assert.ok(avg > 120 && avg < 180, `average record length ${avg}`);
    for (const o of [{ k: 9, seed: 20, threshold: 0.1 }, { k: 5, seed: 3, threshold: 0.3 }]) {
      const { metrics } = await runWorkflow(records, root, o);
      assert.deepEqual(metrics, await diagnosisDirect(records, o), JSON.stringify(o));
    }
  });

  test('the generator is deterministic per seed', async () => {
    const a = path.join(root, 'a.txt');
    const b = path.join(root, 'b.txt');
    await generateRecords({ records: 300, seed: 9 }, a);
    await generateRecords({ records: 300, seed: 9 }, b);
    assert.equal(await readFile(a, 'utf8'), await readFile(b, 'utf8'));
    const labels = new Set((await readFile(a, 'utf8')).split('\n').flatMap((l) => /Diagnosis: (\S+)$/.exec(l)?.[1]?.split('_') ?? []));
    assert.ok(labels.size > 30 && labels.size <= 45, `${labels.size} distinct labels`);
  });

  test('k larger than the training set is an error naming k', async () => {
    const few = path.join(root, 'few.txt');
    await generateRecords({ records: 12, seed: 1 }, few);
    await assert.rejects(runWorkflow(few, root, { k: 9, seed: 1, threshold: 0.1 }), /k = 9 clusters need at least 9 training rows, got 4/);
  });
});
