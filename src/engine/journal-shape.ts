/**
 * The shape of the journal records that `runs`, `show` and `--resume`
 * summarise. The journal is the master's own file, but it is read back
 * after crashes and may have been edited or damaged: a record of a known
 * type whose fields do not have the types the summary reads is an
 * `InputError` naming the journal, the record and the field — never a
 * TypeError deep inside the summary.
 */
import { InputError } from '../errors.js';
import type { RunEvent } from './events.js';

type Field = 'string' | 'number' | 'int' | 'boolean' | 'strings' | 'object' | 'number|null' | 'string?' | 'number?' | 'number|null?';

/** The fields `summarize` reads, per record type. */
const READ: Readonly<Record<string, Readonly<Record<string, Field>>>> = {
  'run-started': { name: 'string', workflow: 'string', pid: 'number', host: 'string', steps: 'strings' },
  'run-resumed': { workflow: 'string', pid: 'number', host: 'string' },
  'step-started': { step: 'string', index: 'int', attempt: 'number', worker: 'string?', host: 'string?' },
  'step-succeeded': { step: 'string', index: 'int', durationMs: 'number?', exitStatus: 'number|null?' },
  'step-reused': { step: 'string', index: 'int' },
  'step-failed': { step: 'string', index: 'int', willRetry: 'boolean', durationMs: 'number?', exitStatus: 'number|null?', message: 'string?' },
  'step-skipped': { step: 'string', index: 'int' },
  'step-cancelled': { step: 'string', index: 'int', reason: 'string?' },
  'run-finished': { state: 'string', outputs: 'object', message: 'string?' },
  'step-expanded': { step: 'string' },
};

function fits(v: unknown, f: Field): boolean {
  if (f.endsWith('?') && v === undefined) return true;
  switch (f.replace(/\?$/, '')) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'int':
      return Number.isSafeInteger(v) && (v as number) >= 0;
    case 'boolean':
      return typeof v === 'boolean';
    case 'strings':
      return v === undefined || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'number|null':
      return v === null || (typeof v === 'number' && Number.isFinite(v));
    default:
      return false;
  }
}

/** Checks every record `summarize` reads; throws an InputError for the first that does not fit. */
export function checkJournalShape(runId: string, events: readonly RunEvent[]): void {
  events.forEach((e, i) => {
    const r = e as unknown as Record<string, unknown>;
    if (typeof r !== 'object' || r === null || typeof r['type'] !== 'string' || typeof r['t'] !== 'number' || !Number.isFinite(r['t'])) {
      throw new InputError(`journal of run ${runId}, record ${i + 1}: not a journal record (no type or time); the journal is damaged`);
    }
    const spec = Object.hasOwn(READ, r['type']) ? READ[r['type']] : undefined;
    if (!spec) return; // records the summary does not read
    for (const [k, f] of Object.entries(spec)) {
      if (!fits(r[k], f)) throw new InputError(`journal of run ${runId}, record ${i + 1} (${r['type']}): field ${k} is not ${f.replace('?', '')}; the journal is damaged`);
    }
  });
}
