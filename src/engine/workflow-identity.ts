/**
 * What makes a workflow "the same workflow" for `--resume`: its name, its
 * step ids, each step's output ports (name and type) and the workflow's
 * outputs. The journal records this shape in `run-started`; a resume whose
 * flow.yaml has another shape is refused (it would run another workflow inside
 * the old run: colliding step instances, a receipt and outputs of something
 * else). Everything else may be edited between a run and its resume — a
 * command, a task's code, a tool pin, a step's inputs, the workflow's inputs —
 * and the keyed instance hashes then re-run exactly the steps it changes.
 *
 * Journals written before the shape was recorded carry only the name and the
 * step ids; those are compared.
 */
import { InputError } from '../errors.js';
import { formatType, type Workflow } from '../workflow/model.js';
import { displayPath } from '../workflow/yaml-source.js';
import type { RunStarted } from './events.js';

/** The part of a workflow a resume must find unchanged (journalled in `run-started`). */
export interface WorkflowShape {
  /** Step id → its output ports as `name: type` (`name: type?` when optional), in file order. */
  readonly steps: Readonly<Record<string, readonly string[]>>;
  /** The workflow's output ids, in file order. */
  readonly outputs: readonly string[];
}

export function workflowShape(w: Workflow): WorkflowShape {
  const steps: Record<string, string[]> = {};
  for (const s of w.steps) steps[s.id] = s.outputs.map((p) => `${p.id}: ${formatType(p.type)}${p.optional ? '?' : ''}`);
  return { steps, outputs: w.outputs.map((o) => o.id) };
}

const list = (xs: readonly string[]): string => (xs.length === 0 ? 'none' : xs.join(', '));

/** What differs between the recorded workflow and the one given, one phrase each; empty when it is the same workflow. */
export function workflowDifferences(started: Pick<RunStarted, 'name' | 'steps' | 'shape'>, w: Workflow): string[] {
  const diffs: string[] = [];
  if (started.name !== w.name) diffs.push(`its name was '${started.name}', now '${w.name}'`);
  const was = started.steps ?? [];
  const now = w.steps.map((s) => s.id);
  const gone = was.filter((id) => !now.includes(id));
  const added = now.filter((id) => !was.includes(id));
  if (gone.length > 0) diffs.push(`step${gone.length > 1 ? 's' : ''} ${gone.join(', ')} ${gone.length > 1 ? 'are' : 'is'} gone`);
  if (added.length > 0) diffs.push(`step${added.length > 1 ? 's' : ''} ${added.join(', ')} ${added.length > 1 ? 'are' : 'is'} new`);
  const shape = started.shape;
  if (shape === undefined) return diffs; // a journal from before the shape was recorded
  const current = workflowShape(w);
  for (const id of now) {
    const before = shape.steps[id];
    const after = current.steps[id] ?? [];
    if (before !== undefined && before.join('\n') !== after.join('\n')) diffs.push(`step ${id}'s outputs were ${list(before)}, now ${list(after)}`);
  }
  if (shape.outputs.join('\n') !== current.outputs.join('\n')) diffs.push(`the workflow's outputs were ${list(shape.outputs)}, now ${list(current.outputs)}`);
  return diffs;
}

/** Refuses (InputError, exit 2) to resume run `runId` with a workflow that is not the one it started with. */
export function checkSameWorkflow(runId: string, started: Pick<RunStarted, 'name' | 'steps' | 'shape'>, w: Workflow): void {
  const diffs = workflowDifferences(started, w);
  if (diffs.length === 0) return;
  const file = displayPath(w.file);
  throw new InputError(
    `--resume ${runId}: run ${runId} was workflow '${started.name}' (steps ${list(started.steps ?? [])}); ${file} is '${w.name}' (steps ${list(w.steps.map((s) => s.id))}): ${diffs.join('; ')}. ` +
      `Resume only runs the same workflow (its commands, code and inputs may change); start a new run instead: sealflow run ${file}`,
  );
}
