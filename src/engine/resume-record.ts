/**
 * The `run-started` record a resume starts from, checked field by field. The
 * journal is a plain file, not authenticated: a damaged or hand-edited one
 * must stop `--resume` with an error that names it (InputError, exit 2), not
 * crash it halfway or feed a wrongly typed value into the run. Journals
 * written before `shape` (and `encrypted`, `platform`) existed stay valid.
 */
import { InputError } from '../errors.js';
import type { RunEvent, RunStarted } from './events.js';

type Check = (v: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const bool: Check = (v) => typeof v === 'boolean';
const strings: Check = (v) => Array.isArray(v) && v.every(str);
const map: Check = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const shape: Check = (v) => map(v) && map((v as { steps?: unknown }).steps) && Object.values((v as { steps: object }).steps).every(strings) && strings((v as { outputs?: unknown }).outputs);

/** Field → [check, what it should be, required]. */
const FIELDS: Readonly<Record<string, readonly [Check, string, boolean]>> = {
  t: [num, 'a time in milliseconds', true],
  runId: [str, 'the run id', true],
  workflow: [str, 'the workflow file', true],
  name: [str, 'the workflow name', true],
  steps: [strings, 'a list of step ids', true],
  shape: [shape, '{steps: {id: [port…]}, outputs: [id…]}', false],
  inputs: [map, 'a map of input values', true],
  configFile: [str, 'a file path', false],
  platform: [str, 'a platform name', false],
  encrypted: [bool, 'true or false', false],
  concurrency: [num, 'a number', true],
  keepGoing: [bool, 'true or false', true],
  pid: [num, 'a process id', true],
  host: [str, 'a host name', true],
};

/** The first event of a run's journal as a well-typed `run-started`; throws InputError naming the journal and the field. */
export function runStartedOf(events: readonly RunEvent[], journal: string, runId: string): RunStarted {
  const first: unknown = events[0];
  const stop = (why: string) => new InputError(`--resume ${runId}: the journal ${journal} ${why}; it cannot be resumed (start a new run; \`sealflow show ${runId}\` shows what it holds)`);
  if (!map(first) || (first as { type?: unknown }).type !== 'run-started') throw stop('does not start with a run-started record');
  const rec = first as Record<string, unknown>;
  for (const [field, [ok, what, required]] of Object.entries(FIELDS)) {
    const v = rec[field];
    if (v === undefined ? required : !ok(v)) throw stop(`has a damaged run-started record: '${field}' should be ${what}`);
  }
  return first as RunStarted;
}
