/**
 * Steps `recommend1` and `recommend2` (SecDATAVIEW's "Algorithm1" and
 * "Algorithm2"): train a k-means recommender (`cluster.ts`) on the rows of
 * `labeled` followed by those of `pseudoLabeled` (if given), then write
 * `target`'s rows with their labels replaced by the recommendations of their
 * nearest cluster (a target's own labels are never read).
 * `recommend1` labels the unlabelled half of the training set that way;
 * `recommend2` trains on both halves and recommends for the test set.
 */
import { defineTask } from 'sealflow';
import { loadTable, writeTable, type Patient } from '../table.js';
import { recommend, train } from './cluster.js';

export const recommender = defineTask({
  inputs: { labeled: 'file', pseudoLabeled: 'file?', target: 'file', k: 'number', seed: 'number', threshold: 'number' },
  outputs: { recommended: 'file' },
  async run({ labeled, pseudoLabeled, target, k, seed, threshold }, ctx) {
    const rows: Patient[] = [];
    for (const f of pseudoLabeled == null ? [labeled] : [labeled, pseudoLabeled]) for (const p of await loadTable(f)) rows.push(p);
    const model = train(rows, k, seed, threshold);
    ctx.log(`trained on ${rows.length} patients; clusters recommend ${model.recommendations.map((r) => r.length).join('/')} labels`);
    const out = ctx.path('recommended.csv');
    await writeTable(out, (await loadTable(target)).map((p) => ({ ...p, labels: recommend(model, p) })));
    return { recommended: out };
  },
});
