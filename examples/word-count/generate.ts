/**
 * Generates a deterministic synthetic text corpus for the word-count example:
 *
 *   node dist/examples/word-count/generate.js --size 100MB -o corpus.txt [--seed 1]
 *
 * Sentences of 4–18 words drawn from a Zipf-distributed vocabulary of
 * pseudo-words (plus a few numbers, capitalised and hyphenated words, and
 * words with non-ASCII letters, which exercise the tokenizer), ~70-character
 * lines, blank lines between paragraphs. The output is written as it is
 * generated (constant memory) and is at most `size` bytes, ending at a line end.
 * The same seed and size always produce the same bytes.
 */
import { parseArgs } from 'node:util';
import { Random, ZipfSampler } from '../_lib/random.js';
import { TextSink, UsageError, isMain, parseSize, runMain } from '../_lib/cli.js';

export interface CorpusOptions {
  /** Upper bound of the output size in bytes. */
  readonly size: number;
  readonly seed: number;
  /** Distinct pseudo-words in the vocabulary. Default 50,000. */
  readonly vocabulary?: number;
}

const ONSETS = ['', 'b', 'c', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'qu', 'r', 's', 't', 'v', 'w', 'y', 'z',
  'bl', 'br', 'ch', 'cl', 'cr', 'dr', 'fl', 'fr', 'gl', 'gr', 'pl', 'pr', 'sh', 'sl', 'st', 'th', 'tr', 'wh'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'ee', 'ie', 'oo', 'ou', 'y'];
const CODAS = ['', '', 'n', 'r', 's', 't', 'l', 'm', 'nd', 'ng', 'st', 'rt', 'ck', 'x'];
/** Words with non-ASCII letters: their UTF-8 bytes separate words (`café` counts as `caf`). */
const FOREIGN = ['café', 'naïve', 'façade', 'über', 'déjà', 'Øresund', 'smörgåsbord', 'jalapeño'];

/** The vocabulary: distinct pseudo-words, the most frequent first (short words are made first). */
export function makeVocabulary(rng: Random, n: number): string[] {
  const seen = new Set<string>();
  const words: string[] = [];
  let syllables = 1;
  let misses = 0;
  while (words.length < n) {
    let w = '';
    for (let s = 0; s < syllables; s++) w += rng.pick(ONSETS) + rng.pick(VOWELS) + rng.pick(CODAS);
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
      misses = 0;
    } else if (++misses > 200) {
      syllables++;
      misses = 0;
    }
    if (rng.int(8) === 0) syllables = Math.min(syllables + 1, 3);
    else if (rng.int(6) === 0) syllables = Math.max(1, syllables - 1);
  }
  return words;
}

/** Writes the corpus to `out` (a path or stream); resolves with the number of bytes written. */
export async function generateCorpus(opts: CorpusOptions, out: string | NodeJS.WritableStream): Promise<number> {
  const rng = new Random(opts.seed);
  const vocab = makeVocabulary(rng, opts.vocabulary ?? 50_000);
  const zipf = new ZipfSampler(vocab.length, 1.05);
  const sink = new TextSink(out as string, 1 << 20);
  let written = 0;
  let line = '';
  let sentenceWords = 0;
  let sentenceLength = rng.range(4, 18);
  for (;;) {
    let word = vocab[zipf.sample(rng)] ?? 'x';
    const r = rng.int(1000);
    if (r < 8) word = String(rng.range(0, 2100));
    else if (r < 10) word = rng.pick(FOREIGN);
    else if (r < 14) word = `${word}-${vocab[zipf.sample(rng)] ?? 'x'}`;
    else if (r < 20) word = word.toUpperCase();
    if (sentenceWords === 0) word = word.charAt(0).toUpperCase() + word.slice(1);
    sentenceWords++;
    if (sentenceWords >= sentenceLength) {
      word += rng.int(10) === 0 ? '?' : '.';
      sentenceWords = 0;
      sentenceLength = rng.range(4, 18);
    } else if (rng.int(12) === 0) {
      word += ',';
    }
    const next = line === '' ? word : `${line} ${word}`;
    if (next.length < 72) {
      line = next;
      continue;
    }
    // Emit the full line; a paragraph break now and then.
    const text = sentenceWords === 0 && rng.int(6) === 0 ? `${line}\n\n` : `${line}\n`;
    const bytes = Buffer.byteLength(text);
    if (written + bytes > opts.size) break;
    written += bytes;
    const p = sink.write(text);
    if (p) await p;
    line = word;
  }
  await sink.close();
  return written;
}

const USAGE = 'usage: generate --size SIZE (e.g. 100MB, 1GB) [-o FILE (default stdout)] [--seed N (default 1)]';

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string' },
      output: { type: 'string', short: 'o' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\nWrites a deterministic synthetic text corpus for the word-count example.\n`);
    return;
  }
  if (values.size === undefined) throw new UsageError(`--size is required\n${USAGE}`);
  let size: number;
  try {
    size = parseSize(values.size);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got '${values.seed}'`);
  const n = await generateCorpus({ size, seed }, values.output ?? process.stdout);
  if (values.output !== undefined) process.stderr.write(`wrote ${n} bytes to ${values.output}\n`);
}

if (isMain(import.meta.url)) runMain(main);
