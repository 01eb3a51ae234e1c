/**
 * Steps `partition` (SecDATAVIEW's "Partitioner") and `split`
 * ("SplitDataOnePort"): `partition` puts the first 2/3 of the patients into
 * the training set and the rest into the test set; `split` cuts the training
 * set in half — a labelled half, and an unlabelled half whose labels are
 * removed (the first recommender labels it). Both work on the table's bytes
 * (a first pass counts lines, a second one copies): cutting a table needs no
 * parsing, and the steps that read the rows (the recommenders) check them.
 */
import { defineTask } from 'sealflow';
import { countLines, cutLines } from '../lib/lines.js';

const COMMA = 0x2c;

/** A table line without its labels: everything up to and including the last comma. */
export function withoutLabels(line: Buffer): Buffer {
  const comma = line.lastIndexOf(COMMA);
  if (comma < 0) throw new Error(`expected 'age,heartRate,Yes|No,Yes|No,glucose,labels', got '${line.toString('utf8', 0, 80)}'`);
  return line.subarray(0, comma + 1);
}

export const partition = defineTask({
  inputs: { table: 'file' },
  outputs: { train: 'file', test: 'file' },
  async run({ table }, ctx) {
    const n = await countLines(table);
    const cut = Math.floor((n * 2) / 3);
    const train = ctx.path('train.csv');
    const test = ctx.path('test.csv');
    await cutLines(table, cut, train, test);
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
    await cutLines(train, Math.floor(n / 2), labeled, unlabeled, withoutLabels);
    return { labeled, unlabeled };
  },
});
