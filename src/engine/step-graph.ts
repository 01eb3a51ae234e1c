/**
 * The scheduler's bookkeeping for a run: one record per step, linked to the
 * steps it reads from and the steps that read from it, and one record per
 * instance (scatter element) of a step; plus how the instances' states add
 * up to the step's state.
 */
import type { PortValue, Step, Workflow } from '../workflow/model.js';
import type { StepState } from './states.js';

export interface StepRec {
  readonly step: Step;
  state: StepState;
  /** Upstream steps not yet finished. */
  waiting: number;
  readonly upstream: StepRec[];
  readonly dependents: StepRec[];
  instances: Inst[];
  finished: number;
  outputs: Record<string, PortValue> | null;
}

export interface Inst {
  readonly rec: StepRec;
  readonly index: number;
  readonly inputs: Record<string, PortValue>;
  state: StepState;
  attempt: number;
  /** Attempts lost with their worker: they do not count against `retries`. */
  losses: number;
  hash: string;
  outputs: Record<string, PortValue> | null;
}

/** One record per step, keyed by step id, linked both ways along the steps' `step-output` sources. */
export function buildStepGraph(workflow: Workflow): Map<string, StepRec> {
  const recs = new Map<string, StepRec>();
  for (const step of workflow.steps) {
    recs.set(step.id, { step, state: 'pending', waiting: 0, upstream: [], dependents: [], instances: [], finished: 0, outputs: null });
  }
  for (const rec of recs.values()) {
    const ups = new Set<string>();
    for (const input of rec.step.inputs) for (const s of input.sources) if (s.kind === 'step-output') ups.add(s.step);
    for (const id of ups) {
      const up = recs.get(id);
      if (!up) throw new Error(`step ${rec.step.id} reads from unknown step ${id}`);
      rec.upstream.push(up);
      up.dependents.push(rec);
    }
    rec.waiting = rec.upstream.length;
  }
  return recs;
}

/** A step's state from its finished instances': any failed, else any cancelled, else all skipped, else succeeded. */
export function aggregateState(instances: readonly Inst[]): StepState {
  const states = instances.map((i) => i.state);
  return states.includes('failed')
    ? 'failed'
    : states.includes('cancelled')
      ? 'cancelled'
      : states.every((s) => s === 'skipped')
        ? 'skipped'
        : 'succeeded';
}
