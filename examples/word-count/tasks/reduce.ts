/** Step `reduce` (one per partition): sums each word's grouped counts. */
import { defineTask } from 'sealflow';
import { readRows, writeRows, type Row } from './tsv.js';

export const reduce = defineTask({
  inputs: { grouped: 'file' },
  outputs: { counts: 'file' },
  async run({ grouped }, ctx) {
    const out = ctx.path('counts.tsv');
    await writeRows(out, sumValues(grouped));
    return { counts: out };
  },
});

async function* sumValues(file: string): AsyncGenerator<Row> {
  for await (const { word, value } of readRows(file)) {
    let total = 0;
    for (const v of value.split(',')) total += Number(v);
    if (!Number.isSafeInteger(total)) throw new Error(`${file}: bad counts for '${word}': ${value}`);
    yield { word, value: String(total) };
  }
}
