/**
 * The native baseline and independent check of the word-count example: a
 * plain single-process count, written separately from the workflow's tasks
 * (it decodes lines and uses a regular expression; the tasks scan bytes).
 *
 *   node dist/examples/word-count/count-direct.js CORPUS [-o OUT.tsv]
 *
 * Output: `word<TAB>count` lines sorted by word in byte order, as the
 * workflow's `counts` output.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { TextSink, UsageError, isMain, runMain } from '../_lib/cli.js';

/** Counts the words of a file: maximal runs of [A-Za-z0-9], lower-cased. */
export async function countWords(file: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  // latin1 maps every byte to one character, so a non-ASCII byte is never a letter here.
  const lines = createInterface({ input: createReadStream(file, { encoding: 'latin1' }), crlfDelay: Infinity });
  const word = /[A-Za-z0-9]+/g;
  for await (const line of lines) {
    for (const m of line.matchAll(word)) {
      const w = m[0].toLowerCase();
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  return counts;
}

/** The counts as the workflow writes them: sorted `word<TAB>count` lines. */
export function formatCounts(counts: ReadonlyMap<string, number>): string[] {
  return [...counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((w) => `${w}\t${counts.get(w)}\n`);
}

/** Counts `file` and writes the table to `out` (a path, or stdout). */
export async function countDirect(file: string, out: string | NodeJS.WritableStream): Promise<void> {
  const sink = new TextSink(out as string);
  for (const line of formatCounts(await countWords(file))) {
    const p = sink.write(line);
    if (p) await p;
  }
  await sink.close();
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write('usage: count-direct CORPUS [-o OUT.tsv]\nCounts words in one process (the native baseline).\n');
    return;
  }
  const [file] = positionals;
  if (file === undefined || positionals.length > 1) throw new UsageError('usage: count-direct CORPUS [-o OUT.tsv]');
  await countDirect(file, values.output ?? process.stdout);
}

if (isMain(import.meta.url)) runMain(main);
