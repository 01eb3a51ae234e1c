/**
 * Checks a word-count result against the independent single-process count:
 *
 *   node dist/examples/word-count/check.js CORPUS COUNTS.tsv
 *
 * Exits 0 and prints a summary when they are equal; exits 1 and names the
 * first difference otherwise. Reads the result as a stream.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { UsageError, isMain, runMain } from '../_lib/cli.js';
import { countWords, formatCounts } from './count-direct.js';

export interface CheckResult {
  readonly ok: boolean;
  readonly words: number;
  readonly total: number;
  /** The first difference, when not ok. */
  readonly difference?: string;
}

export async function checkCounts(corpus: string, countsFile: string): Promise<CheckResult> {
  const expected = formatCounts(await countWords(corpus));
  let i = 0;
  let total = 0;
  const lines = createInterface({ input: createReadStream(countsFile), crlfDelay: Infinity });
  for await (const line of lines) {
    const want = expected[i];
    if (want === undefined) return { ok: false, words: i, total, difference: `line ${i + 1}: unexpected extra line '${line}'` };
    if (`${line}\n` !== want) {
      return { ok: false, words: i, total, difference: `line ${i + 1}: got '${line}', expected '${want.trimEnd()}'` };
    }
    total += Number(line.slice(line.indexOf('\t') + 1));
    i++;
  }
  if (i < expected.length) {
    return { ok: false, words: i, total, difference: `line ${i + 1}: missing '${expected[i]?.trimEnd()}' and ${expected.length - i - 1} more` };
  }
  return { ok: true, words: i, total };
}

async function main(argv: string[]): Promise<void> {
  const [corpus, counts, ...rest] = argv;
  if (corpus === undefined || counts === undefined || rest.length > 0) throw new UsageError('usage: check CORPUS COUNTS.tsv');
  const r = await checkCounts(corpus, counts);
  if (!r.ok) {
    process.stderr.write(`word counts differ from the direct count: ${r.difference}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`ok: ${r.words} distinct words, ${r.total} words, equal to the direct count\n`);
}

if (isMain(import.meta.url)) runMain(main);
