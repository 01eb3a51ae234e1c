/**
 * Steps `partition` (SecDATAVIEW's "Partitioner") and `split`
 * ("SplitDataOnePort"): `partition` puts the first 2/3 of the patients into
 * the training set and the rest into the test set; `split` cuts the training
 * set in half — a labelled half, and an unlabelled half whose labels are
 * removed (the first recommender labels it). Both stream: a first pass counts
 * lines (on bytes), a second one copies.
 */
import { defineTask } from 'sealflow';
import { countLines } from '../../_lib/lines.js';
import { readTable, writeTable, type Patient } from '../table.js';

/** Writes rows [0, cut) to `first` and [cut, n) to `second` (through `map`). */
async function cutTable(file: string, cut: number, first: string, second: string, map: (p: Patient) => Patient): Promise<void> {
  const it = readTable(file);
  await writeTable(first, (async function* () {
    for (let i = 0; i < cut; i++) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  })());
  await writeTable(second, (async function* () {
    for await (const p of it) yield map(p);
  })());
}

export const partition = defineTask({
  inputs: { table: 'file' },
  outputs: { train: 'file', test: 'file' },
  async run({ table }, ctx) {
    const n = await countLines(table);
    const cut = Math.floor((n * 2) / 3);
    const train = ctx.path('train.csv');
    const test = ctx.path('test.csv');
    await cutTable(table, cut, train, test, (p) => p);
    ctx.log(`${cut} training and ${n - cut} test patients`);
    return { train, test };
  },
});

export const split = defineTask({
  inputs: { train: 'file' },
  outputs: { labeled: 'file', unlabeled: 'file' },
  async run({ train }, ctx) {
    const n = await countLines(train);
    const labeled = ctx.path('labeled.csv');
    const unlabeled = ctx.path('unlabeled.csv');
    await cutTable(train, Math.floor(n / 2), labeled, unlabeled, (p) => ({ ...p, labels: [] }));
    return { labeled, unlabeled };
  },
});
