/**
 * How a step's input values are computed from its sources (CWL v1.2
 * semantics: multiple sources, pickValue, defaults), how a scattered step is
 * expanded into instances, and how instance outputs are gathered.
 */
import type { PickValue, PortValue, SourceRef, Step, StepInput, WorkflowOutput } from '../workflow/model.js';

/** Looks up the value a source refers to (a workflow input or a finished step's output). */
export type SourceLookup = (src: SourceRef) => PortValue;

/** Raised when a value cannot be formed (pickValue finds no value, scatter lengths differ, ...). */
export class ValueError extends Error {
  override readonly name = 'ValueError';
}

/** CWL v1.2 pickValue over a list of candidate values. */
export function pickValue(method: PickValue, values: readonly PortValue[], what: string): PortValue {
  const nonNull = values.filter((v) => v !== null);
  switch (method) {
    case 'first_non_null':
      if (nonNull.length === 0) throw new ValueError(`${what}: pickValue first_non_null found only null values`);
      return nonNull[0] ?? null;
    case 'the_only_non_null':
      if (nonNull.length !== 1)
        throw new ValueError(`${what}: pickValue the_only_non_null found ${nonNull.length} non-null values (exactly one required)`);
      return nonNull[0] ?? null;
    case 'all_non_null':
      return nonNull;
  }
}

/** The value of a step input or workflow output from its sources. */
export function resolveSources(
  port: Pick<StepInput, 'sources' | 'pickValue'> & { readonly default?: PortValue },
  lookup: SourceLookup,
  what: string,
): PortValue {
  let value: PortValue;
  if (port.sources.length === 0) value = null;
  else if (port.sources.length === 1 && port.sources[0]) value = lookup(port.sources[0]);
  else value = port.sources.map(lookup);
  if (port.pickValue) {
    // A single source that yields an array (a gathered scatter) is picked over; a scalar counts as a list of one.
    const list = Array.isArray(value) ? (value as readonly PortValue[]) : [value];
    value = pickValue(port.pickValue, list, what);
  }
  if (value === null && port.default !== undefined) value = port.default;
  return value;
}

export function resolveStepInputs(step: Step, lookup: SourceLookup): Record<string, PortValue> {
  const out: Record<string, PortValue> = {};
  for (const input of step.inputs) out[input.id] = resolveSources(input, lookup, `step ${step.id}, input ${input.id}`);
  return out;
}

export function resolveWorkflowOutput(o: WorkflowOutput, lookup: SourceLookup): PortValue {
  return resolveSources(o, lookup, `workflow output ${o.id}`);
}

/**
 * The instances of a step: one (the inputs as they are) without scatter; with
 * scatter one per element (several scattered ports: dot product, equal lengths).
 */
export function expandScatter(step: Step, inputs: Readonly<Record<string, PortValue>>): Record<string, PortValue>[] {
  if (step.scatter.length === 0) return [{ ...inputs }];
  let length = -1;
  for (const id of step.scatter) {
    const v = inputs[id];
    if (!Array.isArray(v)) throw new ValueError(`step ${step.id}: scatter input ${id} is not an array (got ${v === null ? 'null' : typeof v})`);
    if (length >= 0 && v.length !== length)
      throw new ValueError(`step ${step.id}: scatter inputs have different lengths (${step.scatter.join(', ')}); dot product needs equal lengths`);
    length = v.length;
  }
  const instances: Record<string, PortValue>[] = [];
  for (let i = 0; i < length; i++) {
    const inst: Record<string, PortValue> = { ...inputs };
    for (const id of step.scatter) inst[id] = (inputs[id] as readonly PortValue[])[i] ?? null;
    instances.push(inst);
  }
  return instances;
}

/** Whether an instance runs: true without `when`; otherwise the boolean value of the `when` input. */
export function whenHolds(step: Step, inputs: Readonly<Record<string, PortValue>>): boolean {
  if (step.when === undefined) return true;
  const v = inputs[step.when];
  if (typeof v !== 'boolean' && v !== null)
    throw new ValueError(`step ${step.id}: when input ${step.when} must be a boolean (got ${JSON.stringify(v)})`);
  return v === true;
}

/** The step's outputs: an instance's own (not scattered) or each output gathered into an array in element order. */
export function gatherOutputs(
  step: Step,
  instances: readonly (Readonly<Record<string, PortValue>> | null)[],
): Record<string, PortValue> {
  const out: Record<string, PortValue> = {};
  for (const port of step.outputs) {
    if (step.scatter.length === 0) out[port.id] = instances[0]?.[port.id] ?? null;
    else out[port.id] = instances.map((o) => o?.[port.id] ?? null);
  }
  return out;
}
