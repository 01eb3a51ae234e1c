/**
 * Step `evaluate` (SecDATAVIEW's "Evaluation"): compares each test
 * patient's true labels with the recommendations, row by row, as
 * SecDATAVIEW did: precision@k = mean of (true labels among the first k
 * recommendations) / k, recall@k = mean of the same / (number of true
 * labels), both in percent, for precision@1–4 and recall@1–3.
 */
import { writeFile } from 'node:fs/promises';
import { defineTask } from 'sealflow';
import { readTable } from '../table.js';

export type Metrics = Record<`precision@${1 | 2 | 3 | 4}` | `recall@${1 | 2 | 3}`, number> & { patients: number };

export const evaluate = defineTask({
  inputs: { truth: 'file', recommended: 'file' },
  outputs: { metrics: 'file' },
  async run({ truth, recommended }, ctx) {
    const precision = [0, 0, 0, 0];
    const recall = [0, 0, 0];
    let n = 0;
    const recs = readTable(recommended);
    for await (const t of readTable(truth)) {
      const r = await recs.next();
      if (r.done) throw new Error(`${recommended} has fewer rows than ${truth} (${n})`);
      const truthSet = new Set(t.labels);
      for (let k = 1; k <= 4; k++) {
        const hits = r.value.labels.slice(0, k).filter((l) => truthSet.has(l)).length;
        precision[k - 1]! += hits / k;
        if (k <= 3 && truthSet.size > 0) recall[k - 1]! += hits / truthSet.size;
      }
      n++;
    }
    if (!(await recs.next()).done) throw new Error(`${recommended} has more rows than ${truth} (${n})`);
    const pct = (s: number): number => (n > 0 ? (s * 100) / n : 0);
    const metrics: Metrics = {
      patients: n,
      'precision@1': pct(precision[0]!), 'precision@2': pct(precision[1]!), 'precision@3': pct(precision[2]!), 'precision@4': pct(precision[3]!),
      'recall@1': pct(recall[0]!), 'recall@2': pct(recall[1]!), 'recall@3': pct(recall[2]!),
    };
    const out = ctx.path('metrics.json');
    await writeFile(out, `${JSON.stringify(metrics, null, 2)}\n`);
    return { metrics: out };
  },
});
