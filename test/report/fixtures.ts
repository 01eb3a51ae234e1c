/** The report fixtures (test/fixtures/report/runs/, made by generate.sh from real runs) and the canary planted in them. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readJournal } from '../../src/engine/journal.js';
import type { RunEvent } from '../../src/engine/events.js';
import { REPO } from '../helpers/cli.js';

export const RUNS = path.join(REPO, 'test', 'fixtures', 'report', 'runs');
export const FLOW = path.join(REPO, 'test', 'fixtures', 'report', 'flow');
export const OWNER = path.join(RUNS, 'owner.txt');
export const MASTER_PUB = path.join(RUNS, 'master.pub');
export const FIXTURE_RUNS = ['ok', 'failed', 'killed'] as const;
/** Planted in an input file's name and contents and in a string input: never in a report or crate. */
export const CANARY = /CANARY(NAME|BODY|VALUE)7731/;

export const runDir = (name: string) => path.join(RUNS, name);
export const eventsOf = (name: string): RunEvent[] => readJournal(path.join(runDir(name), 'journal.jsonl')).events;
export const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
