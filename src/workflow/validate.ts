/**
 * Resolving raw steps against each other: every edge must name an existing
 * workflow input or step output, port types must agree (with scatter,
 * several sources and pickValue as in CWL v1.2), scatter must be over arrays,
 * `when` over a boolean input, and command templates over known names.
 */
import type { SourceLocation } from '../errors.js';
import type { PickValue, PortDef, PortType, SourceRef, Step, StepInput, WorkflowOutput } from './model.js';
import { arrayOf, formatType, sameType } from './model.js';
import type { RawInput, RawStep } from './load-step.js';
import { COMMAND_BUILTINS } from './load-step.js';
import { didYouMean, listOf } from '../suggest.js';
import { baseOf, isFileLike, typeOfValue } from './types.js';
import { coerceValue } from './values.js';
import { inputError } from './yaml-source.js';

export interface Scope {
  readonly inputs: ReadonlyMap<string, PortDef>;
  readonly steps: ReadonlyMap<string, RawStep>;
  /** Output ports by step id, then port id. */
  readonly outputs: ReadonlyMap<string, ReadonlyMap<string, PortDef>>;
  /** Directory that relative default paths resolve against. */
  readonly baseDir: string;
}

export function buildScope(inputs: readonly PortDef[], steps: readonly RawStep[], baseDir: string): Scope {
  return {
    inputs: new Map(inputs.map((i) => [i.id, i])),
    steps: new Map(steps.map((s) => [s.id, s])),
    outputs: new Map(steps.map((s) => [s.id, new Map(s.outputs.map((o) => [o.id, o]))])),
    baseDir,
  };
}

/** `number` may flow into `json`; otherwise types must be equal. */
export function assignable(from: PortType, to: PortType): boolean {
  if (sameType(from, to)) return true;
  return to.kind === 'json' && !isFileLike({ kind: baseOf(from) });
}

export function describeSource(ref: SourceRef): string {
  return ref.kind === 'workflow-input' ? `workflow input '${ref.input}'` : `${ref.step}/${ref.output}`;
}

/** The type a source delivers: a workflow input's type, or a step output's (an array when that step is scattered). */
function sourceType(scope: Scope, ref: SourceRef, context: string, port: string): PortType {
  if (ref.kind === 'workflow-input') {
    const input = scope.inputs.get(ref.input);
    if (input !== undefined) return input.type;
    const stepHint = scope.steps.has(ref.input) ? ` '${ref.input}' is a step; to read one of its outputs write '${ref.input}/<output>'.` : '';
    const known = [...scope.inputs.keys()];
    throw inputError(ref.loc, context, `${port} reads workflow input '${ref.input}', which does not exist${didYouMean(ref.input, known) || '.'}${stepHint} Workflow inputs: ${known.length === 0 ? 'none' : listOf(known)}.`);
  }
  const step = scope.steps.get(ref.step);
  if (step === undefined) {
    throw inputError(ref.loc, context, `${port} reads from step "${ref.step}", which does not exist${didYouMean(ref.step, scope.steps.keys()) || '.'} Check the step id before the '/'.`);
  }
  const out = scope.outputs.get(ref.step)?.get(ref.output);
  if (out === undefined) {
    const known = step.outputs.map((o) => o.id);
    throw inputError(ref.loc, context, `${port} reads output '${ref.output}' of step "${ref.step}", which has no such output${didYouMean(ref.output, known) || '.'} Its outputs: ${known.length === 0 ? 'none' : listOf(known)}.`);
  }
  return step.scatter.length > 0 ? arrayOf(out.type) : out.type;
}

/** The type several sources combine into (undefined when there are none). */
function combine(scope: Scope, sources: readonly SourceRef[], pick: PickValue | undefined, loc: SourceLocation, context: string, port: string): PortType | undefined {
  const types = sources.map((s) => sourceType(scope, s, context, port));
  const first = types[0];
  if (first === undefined) return undefined;
  if (types.length === 1) {
    if (pick === undefined) return first;
    if (first.kind !== 'array') {
      throw inputError(loc, context, `${port} has pickValue ${pick} on the single source ${describeSource(sources[0] as SourceRef)} of type ${formatType(first)}; with one source pickValue needs an array (for example a scattered step's gathered output). Remove pickValue or list several sources.`);
    }
    return pick === 'all_non_null' ? first : first.items;
  }
  for (let i = 1; i < types.length; i++) {
    const t = types[i] as PortType;
    if (!sameType(t, first)) {
      throw inputError(loc, context, `${port} lists sources of different types: ${describeSource(sources[0] as SourceRef)} is ${formatType(first)} but ${describeSource(sources[i] as SourceRef)} is ${formatType(t)}; several sources must all have the same type.`);
    }
  }
  return pick === 'first_non_null' || pick === 'the_only_non_null' ? first : arrayOf(first);
}

function sourcesText(sources: readonly SourceRef[]): string {
  return sources.length === 1 ? describeSource(sources[0] as SourceRef) : `[${sources.map(describeSource).join(', ')}]`;
}

function resolveInput(scope: Scope, step: RawStep, raw: RawInput, scattered: boolean): StepInput {
  const context = `step "${step.id}"`;
  const port = `input '${raw.id}'`;
  const delivered = combine(scope, raw.sources, raw.pickValue, raw.loc, context, port);
  let perInstance = delivered;
  if (delivered !== undefined && scattered) {
    if (delivered.kind !== 'array') {
      throw inputError(raw.loc, context, `scatter over input '${raw.id}', but it receives ${formatType(delivered)} from ${sourcesText(raw.sources)}, which is not an array; scatter only over inputs whose source is a list (T[]), or remove '${raw.id}' from scatter.`);
    }
    perInstance = delivered.items;
  }
  const declared = raw.declared;
  if (declared !== undefined && perInstance !== undefined && !assignable(perInstance, declared.type)) {
    const via = scattered ? `; scatter gives each instance one element of ${formatType(delivered as PortType)}, i.e. ${formatType(perInstance)},` : '';
    throw inputError(raw.loc, context, `type mismatch: input '${raw.id}' is declared ${formatType(declared.type)} but receives ${formatType(delivered as PortType)} from ${sourcesText(raw.sources)}${via} so the types do not agree. Change the declared type or connect a source of type ${scattered ? `${formatType(declared.type)}[]` : formatType(declared.type)}.`);
  }
  let type = declared?.type ?? perInstance;
  if (type === undefined && raw.rawDefault !== undefined) {
    // Only a default: its type is the input's (for a scattered input, the default is the array scattered over).
    const t = typeOfValue(raw.rawDefault as never);
    if (scattered && t.kind !== 'array') {
      throw inputError(raw.loc, context, `scatter over input '${raw.id}', but its default is ${formatType(t)}, not an array; scatter only over lists.`);
    }
    type = scattered && t.kind === 'array' ? t.items : t;
  }
  if (type === undefined) {
    throw inputError(raw.loc, context, `input '${raw.id}' has no source, default or type; give it 'from:' (a source), 'default:' or 'type:'.`);
  }
  const optional = declared?.optional ?? false;
  let def: StepInput['default'];
  if (raw.rawDefault !== undefined) {
    // A scattered input's default stands for its source, so it is the whole array.
    const whole = scattered ? arrayOf(type) : type;
    const c = coerceValue(raw.rawDefault, whole, true, scope.baseDir);
    if ('error' in c) throw inputError(raw.defaultLoc ?? raw.loc, context, `the default of input '${raw.id}' does not fit its type ${formatType(whole)}: ${c.error}.`);
    def = c.value;
  }
  return {
    id: raw.id,
    type,
    optional,
    sources: raw.sources,
    loc: raw.loc,
    ...(raw.pickValue !== undefined ? { pickValue: raw.pickValue } : {}),
    ...(def !== undefined ? { default: def } : {}),
  };
}

const TEMPLATE = /\$\(([^)]*)\)/g;

/** Every `$(name)` in a command must name an input or a builtin; arrays only as a whole argument. */
function checkTemplates(step: RawStep, inputs: ReadonlyMap<string, StepInput>): void {
  if (step.run.kind !== 'command') return;
  const run = step.run;
  const context = `step "${step.id}"`;
  const loc = run.loc ?? step.loc;
  const names = (): string[] => [...inputs.keys(), ...COMMAND_BUILTINS];
  const check = (text: string, where: string, argv: boolean): void => {
    if (!text.includes('$(')) return;
    for (const m of text.matchAll(TEMPLATE)) {
      const name = m[1] ?? '';
      const input = inputs.get(name);
      if (input === undefined && !(COMMAND_BUILTINS as readonly string[]).includes(name)) {
        throw inputError(loc, context, `${where} uses $(${name}), which is not an input of this step${didYouMean(name, names()) || '.'} Available: ${listOf(names())}.`);
      }
      if (input !== undefined && input.type.kind === 'array' && !(argv && m[0] === text)) {
        throw inputError(loc, context, `${where} uses the array input $(${name}) inside a longer text; an array expands to one argument per element, so it must be a whole argument on its own.`);
      }
    }
  };
  run.argv.forEach((a, i) => check(a, `command argument ${i + 1} ('${a}')`, true));
  for (const [k, v] of Object.entries(run.env)) check(v, `env ${k}`, false);
  if (run.stdout !== undefined) check(run.stdout, 'stdout', false);
  for (const [k, o] of Object.entries(run.outputs)) check(o.glob, `the glob of output '${k}'`, false);
  for (const id of COMMAND_BUILTINS) {
    const clash = inputs.get(id);
    if (clash !== undefined) throw inputError(clash.loc, context, `input id '${id}' is reserved in command steps ($(${id}) is the step's requirement); rename the input.`);
  }
}

export function resolveStep(scope: Scope, raw: RawStep): Step {
  const context = `step "${raw.id}"`;
  const rawById = new Map(raw.inputs.map((i) => [i.id, i]));
  const scattered = new Set<string>();
  for (const s of raw.scatter) {
    if (!rawById.has(s.id)) {
      throw inputError(s.loc, context, `scatter names '${s.id}', which is not an input of this step${didYouMean(s.id, rawById.keys()) || '.'} Scatter lists input ids of the step.`);
    }
    if (scattered.has(s.id)) throw inputError(s.loc, context, `scatter names input '${s.id}' twice.`);
    scattered.add(s.id);
  }
  const inputs = raw.inputs.map((i) => resolveInput(scope, raw, i, scattered.has(i.id)));
  const byId = new Map(inputs.map((i) => [i.id, i]));
  if (raw.when !== undefined) {
    const w = byId.get(raw.when.id);
    if (w === undefined) {
      throw inputError(raw.when.loc, context, `when names '${raw.when.id}', which is not an input of this step${didYouMean(raw.when.id, byId.keys()) || '.'} 'when' names a boolean input of the step.`);
    }
    if (w.type.kind !== 'boolean') {
      throw inputError(raw.when.loc, context, `when names input '${w.id}', which is ${formatType(w.type)}, not boolean; 'when' needs a boolean input (true runs the step, false skips it).`);
    }
  }
  checkTemplates(raw, byId);
  return {
    id: raw.id,
    run: raw.run,
    inputs,
    outputs: raw.outputs,
    scatter: raw.scatter.map((s) => s.id),
    requirements: raw.requirements,
    retries: raw.retries,
    loc: raw.loc,
    ...(raw.when !== undefined ? { when: raw.when.id } : {}),
    ...(raw.doc !== undefined ? { doc: raw.doc } : {}),
  };
}

export interface RawOutput {
  readonly id: string;
  readonly declared?: PortType;
  readonly sources: readonly SourceRef[];
  readonly pickValue?: PickValue;
  readonly doc?: string;
  readonly loc: SourceLocation;
}

export function resolveOutput(scope: Scope, raw: RawOutput): WorkflowOutput {
  const context = `workflow output "${raw.id}"`;
  const delivered = combine(scope, raw.sources, raw.pickValue, raw.loc, context, `output '${raw.id}'`);
  if (delivered === undefined) throw inputError(raw.loc, context, `has no source; write 'from: step/output'.`);
  if (raw.declared !== undefined && !assignable(delivered, raw.declared)) {
    throw inputError(raw.loc, context, `type mismatch: declared ${formatType(raw.declared)} but receives ${formatType(delivered)} from ${sourcesText(raw.sources)}. Change the declared type (a scattered step's output is an array) or the source.`);
  }
  return {
    id: raw.id,
    type: raw.declared ?? delivered,
    sources: raw.sources,
    loc: raw.loc,
    ...(raw.pickValue !== undefined ? { pickValue: raw.pickValue } : {}),
    ...(raw.doc !== undefined ? { doc: raw.doc } : {}),
  };
}
