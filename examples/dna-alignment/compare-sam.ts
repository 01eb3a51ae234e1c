/**
 * Compares two SAM files ignoring `@PG` header lines (which record each run's
 * command line and paths):
 *
 *   node dist/examples/dna-alignment/compare-sam.js A.sam B.sam
 *
 * Exits 0 when equal; otherwise 1, naming the first differing record.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { UsageError, isMain, runMain } from '../_lib/cli.js';

async function* records(file: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) if (!line.startsWith('@PG\t')) yield line;
}

export interface SamComparison {
  readonly equal: boolean;
  readonly lines: number;
  readonly difference?: string;
}

export async function compareSam(a: string, b: string): Promise<SamComparison> {
  const ia = records(a);
  const ib = records(b);
  for (let n = 1; ; n++) {
    const [x, y] = await Promise.all([ia.next(), ib.next()]);
    if (x.done && y.done) return { equal: true, lines: n - 1 };
    if (x.done || y.done || x.value !== y.value) {
      const show = (r: IteratorResult<string>): string => (r.done ? '(end of file)' : r.value.slice(0, 200));
      return { equal: false, lines: n - 1, difference: `line ${n} (not counting @PG): ${show(x)}  vs  ${show(y)}` };
    }
  }
}

async function main(argv: string[]): Promise<void> {
  const [a, b, ...rest] = argv;
  if (!a || !b || rest.length > 0) throw new UsageError('usage: compare-sam A.sam B.sam');
  const r = await compareSam(a, b);
  if (!r.equal) {
    process.stderr.write(`SAM files differ at ${r.difference}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`equal: ${r.lines} lines (ignoring @PG)\n`);
}

if (isMain(import.meta.url)) runMain(main);
