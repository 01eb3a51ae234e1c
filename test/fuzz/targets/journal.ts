/**
 * Fuzz target for a run's journal as `--resume`, `show` and `runs` read it
 * after a crash: readJournal keeps the whole, parseable lines and drops a
 * torn tail; the summary is built from what it kept. The seed is the
 * journal of the receipt sample run plus one line cut short.
 */
import fs from 'node:fs';
import path from 'node:path';
import { summarize } from '../../../src/engine/inspect.js';
import { readJournal } from '../../../src/engine/journal.js';
import { InputError, OperationError } from '../../../src/errors.js';
import { EVENTS } from '../../receipt/sample.js';
import { scratchDir } from '../scratch.js';
import type { FuzzTarget } from '../target.js';

const scratch = scratchDir('journal');

export const targets: FuzzTarget[] = [
  {
    name: 'journal',
    seeds: () => {
      const lines = EVENTS.map((e) => `${JSON.stringify(e)}\n`).join('');
      return [new TextEncoder().encode(lines), new TextEncoder().encode(`${lines}{"type":"step-sta`)];
    },
    run: (b) => {
      const file = path.join(scratch(), 'journal.jsonl');
      fs.writeFileSync(file, b);
      const { events, tornTail } = readJournal(file);
      return summarize('r1', events, tornTail);
    },
    isOwnError: (e) => e instanceof InputError || e instanceof OperationError,
  },
];
