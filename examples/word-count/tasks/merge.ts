/**
 * Step `merge` (SecDATAVIEW's "FinalResult"): concatenates the reduced
 * partitions in partition order, which is word order, into the final
 * `word<TAB>count` table.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { defineTask } from 'sealflow';

export const merge = defineTask({
  inputs: { parts: 'file[]' },
  outputs: { counts: 'file' },
  async run({ parts }, ctx) {
    const out = ctx.path('word-counts.tsv');
    const sink = createWriteStream(out);
    for (const part of parts) {
      for await (const buf of createReadStream(part)) {
        if (!sink.write(buf)) await once(sink, 'drain');
      }
    }
    sink.end();
    await once(sink, 'finish');
    return { counts: out };
  },
});
