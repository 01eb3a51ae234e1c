/**
 * Streaming reads and writes of the `word<TAB>value` files that pass between
 * the word-count steps. Every file is sorted by word in byte order.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { TextSink } from '../lib/text-sink.js';

export interface Row {
  readonly word: string;
  readonly value: string;
}

/** Yields the rows of a `word<TAB>value` file, one line at a time. */
export async function* readRows(file: string): AsyncGenerator<Row> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line === '') continue;
    const tab = line.indexOf('\t');
    if (tab <= 0) throw new Error(`${file}:${n}: expected 'word<TAB>value', got '${line.slice(0, 60)}'`);
    yield { word: line.slice(0, tab), value: line.slice(tab + 1) };
  }
}

/** Writes rows as `word<TAB>value` lines. */
export async function writeRows(file: string, rows: AsyncIterable<Row> | Iterable<Row>): Promise<void> {
  const sink = new TextSink(file);
  for await (const r of rows) {
    const p = sink.write(`${r.word}\t${r.value}\n`);
    if (p) await p;
  }
  await sink.close();
}

/** Writes several sinks' worth of rows: `open(i)` sinks, each fed by `put(i, row)`. */
export class RowSinks {
  private readonly sinks: TextSink[];
  constructor(files: readonly string[]) {
    this.sinks = files.map((f) => new TextSink(f));
  }
  async put(i: number, row: Row): Promise<void> {
    const sink = this.sinks[i];
    if (!sink) throw new Error(`no output ${i}`);
    const p = sink.write(`${row.word}\t${row.value}\n`);
    if (p) await p;
  }
  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close()));
  }
}
