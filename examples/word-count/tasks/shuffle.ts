/**
 * Step `shuffle` (one per partition): takes partition `partition` of every
 * map output and merges them — a streaming k-way merge of sorted files — into
 * one sorted file that groups each word's values: `word<TAB>c1,c2,...`.
 */
import { defineTask } from 'sealflow';
import { compareWords } from './words.js';
import { readRows, writeRows, type Row } from './tsv.js';

export const shuffle = defineTask({
  inputs: { parts: 'file[][]', partition: 'number' },
  outputs: { grouped: 'file' },
  async run({ parts, partition }, ctx) {
    const files = parts.map((row, m) => {
      const f = row[partition];
      if (f === undefined) throw new Error(`map output ${m} has no partition ${partition} (it has ${row.length})`);
      return f;
    });
    const out = ctx.path('grouped.tsv');
    await writeRows(out, groupSorted(files));
    return { grouped: out };
  },
});

/** Merges sorted `word<TAB>value` files, yielding each word once with its values joined by commas. */
export async function* groupSorted(files: readonly string[]): AsyncGenerator<Row> {
  const iters = files.map((f) => readRows(f));
  const heads: (Row | undefined)[] = await Promise.all(iters.map(async (it) => (await it.next()).value ?? undefined));
  for (;;) {
    let min: string | undefined;
    for (const h of heads) if (h && (min === undefined || compareWords(h.word, min) < 0)) min = h.word;
    if (min === undefined) return;
    const values: string[] = [];
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h && h.word === min) {
        values.push(h.value);
        const next = await iters[i]?.next();
        const nh = next && !next.done ? next.value : undefined;
        if (nh && compareWords(nh.word, min) <= 0) throw new Error(`${files[i]}: not sorted at '${nh.word}'`);
        heads[i] = nh;
      }
    }
    yield { word: min, value: values.join(',') };
  }
}
