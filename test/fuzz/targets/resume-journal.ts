/**
 * `sealflow run --resume` reads a run's journal, a plain file anyone with
 * access to the state directory can damage: its events (parseJournal), its
 * run-started record (runStartedOf), the run's state (summarize) and the
 * workflow identity it compares (workflowDifferences). Each input must be
 * accepted or refused with an InputError.
 */
import { InputError } from '../../../src/errors.js';
import { summarize } from '../../../src/engine/inspect.js';
import { parseJournal } from '../../../src/engine/journal.js';
import { runStartedOf } from '../../../src/engine/resume-record.js';
import { workflowDifferences } from '../../../src/engine/workflow-identity.js';
import type { Workflow } from '../../../src/workflow/model.js';
import type { FuzzTarget } from '../target.js';

const loc = { file: '/w/flow.yaml', line: 1, column: 1 };
/** The workflow being resumed with: chain's shape (split, count, total). */
const WORKFLOW = {
  name: 'chain',
  file: '/w/flow.yaml',
  inputs: [],
  outputs: [{ id: 'result', sources: [], loc }],
  steps: ['split', 'count', 'total'].map((id) => ({ id, outputs: [{ id: 'out', type: { kind: 'file' }, optional: false, loc }] })),
} as unknown as Workflow;

const lines = (...events: object[]) => new TextEncoder().encode(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
const started = {
  type: 'run-started', t: 1, runId: 'R', workflow: '/w/flow.yaml', name: 'chain', steps: ['split', 'count', 'total'],
  shape: { steps: { split: ['out: file'], count: ['out: file'], total: ['out: file'] }, outputs: ['result'] },
  inputs: { text: { class: 'File', path: '/w/text.txt' }, pause: 0 }, concurrency: 2, keepGoing: false, pid: 1, host: 'h',
};

export const targets: FuzzTarget[] = [
  {
    name: 'resume-journal',
    seeds: () => [
      lines(started, { type: 'step-started', t: 2, step: 'split', index: 0, attempt: 1, worker: 'local-1', host: 'h', hash: 'ab' }, { type: 'step-succeeded', t: 3, step: 'split', index: 0, attempt: 1, hash: 'ab', outputs: { out: { class: 'File', path: '/r/x' } }, durationMs: 1, exitStatus: 0 }, { type: 'run-finished', t: 4, state: 'failed', outputs: {} }),
      lines({ ...started, shape: undefined, encrypted: true, platform: 'sim' }, { type: 'run-resumed', t: 5, workflow: '/w/flow.yaml', pid: 2, host: 'h' }),
    ],
    run: (input) => {
      const { events, tornTail } = parseJournal(Buffer.from(input));
      const first = runStartedOf(events, 'journal.jsonl', 'R');
      summarize('R', events, tornTail);
      return workflowDifferences(first, WORKFLOW);
    },
    isOwnError: (e) => e instanceof InputError,
  },
];
