/**
 * Step `map` (one per chunk): routes each word's count to one of
 * `partitions` files by the word's first letter (see `partitionOf`). Each
 * output stays sorted, because the input is.
 */
import { defineTask } from 'sealflow';
import { partitionOf } from './words.js';
import { RowSinks, readRows } from './tsv.js';

export const map = defineTask({
  inputs: { counts: 'file', partitions: 'number' },
  outputs: { parts: 'file[]' },
  async run({ counts, partitions }, ctx) {
    const parts = Array.from({ length: partitions }, (_, p) => ctx.path(`part-${p}.tsv`));
    const sinks = new RowSinks(parts);
    for await (const row of readRows(counts)) await sinks.put(partitionOf(row.word, partitions), row);
    await sinks.close();
    return { parts };
  },
});
