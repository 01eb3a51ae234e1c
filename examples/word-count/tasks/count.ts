/**
 * Step `count` (SecDATAVIEW's "Splitting" task, one per chunk): tokenizes a
 * chunk as it streams in and writes its word counts, sorted by word.
 */
import { createReadStream } from 'node:fs';
import { defineTask } from 'sealflow';
import { WordCounter, compareWords } from './words.js';
import { writeRows } from './tsv.js';

export const count = defineTask({
  inputs: { chunk: 'file' },
  outputs: { counts: 'file' },
  async run({ chunk }, ctx) {
    const counter = new WordCounter();
    for await (const buf of createReadStream(chunk, { highWaterMark: 1 << 20, signal: ctx.signal })) {
      counter.push(buf as Buffer);
    }
    const counts = counter.end();
    const words = [...counts.keys()].sort(compareWords);
    const out = ctx.path('counts.tsv');
    await writeRows(out, (function* () {
      for (const word of words) yield { word, value: String(counts.get(word)) };
    })());
    ctx.log(`${words.length} distinct words`);
    return { counts: out };
  },
});
