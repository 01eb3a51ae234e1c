/**
 * `loadWorkflow`: flow.yaml (docs/workflow-format.md) into the model, fully
 * validated except for what needs the file system or the task code (see
 * `checkTasks`). Every error is an InputError naming file:line:column.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { YNode } from './yaml-nodes.js';
import { InputError } from '../errors.js';
import { findCycle } from './dag.js';
import { checkId, parsePickValue, parseSources, parseStep, parseType } from './load-step.js';
import type { RawStep } from './load-step.js';
import type { PortDef, Step, Workflow, WorkflowOutput } from './model.js';
import { formatType } from './model.js';
import { buildScope, resolveOutput, resolveStep } from './validate.js';
import type { RawOutput } from './validate.js';
import { coerceValue } from './values.js';
import { YamlSource, displayPath, inputError } from './yaml-source.js';

export const WORKFLOW_FILE = 'flow.yaml';
const TOP_KEYS = ['name', 'doc', 'inputs', 'outputs', 'steps'] as const;
const INPUT_KEYS = ['type', 'default', 'doc'] as const;
const OUTPUT_KEYS = ['type', 'from', 'pickValue', 'doc'] as const;

/** Resolves `fileOrDir` (a directory means `<dir>/flow.yaml`) to an absolute file path. */
export async function workflowPath(fileOrDir: string): Promise<string> {
  const abs = path.resolve(fileOrDir);
  const st = await stat(abs).catch(() => undefined);
  if (st === undefined) throw new InputError(`${displayPath(abs)}: no such workflow file or directory; give the path of a flow.yaml or of the directory that holds it.`);
  if (!st.isDirectory()) return abs;
  const inner = path.join(abs, WORKFLOW_FILE);
  const st2 = await stat(inner).catch(() => undefined);
  if (st2 === undefined || !st2.isFile()) throw new InputError(`${displayPath(abs)}: the directory has no ${WORKFLOW_FILE}; give the workflow file itself or a directory that contains ${WORKFLOW_FILE}.`);
  return inner;
}

export async function loadWorkflow(fileOrDir: string): Promise<Workflow> {
  const file = await workflowPath(fileOrDir);
  return parseWorkflow(await YamlSource.read(file, 'workflow'));
}

/** Builds and validates the model from a parsed flow.yaml. */
export function parseWorkflow(src: YamlSource): Workflow {
  const root = src.root;
  if (root?.kind !== 'map') throw src.error(root, '', `a workflow must be a map with 'steps:' (and usually 'inputs:' and 'outputs:'); see docs/workflow-format.md.`);
  const f = src.fields(root, TOP_KEYS, '', 'a workflow');
  const baseDir = path.dirname(src.file);
  const inputs = parseInputs(src, f.get('inputs')?.value, baseDir);
  const stepsEntry = f.get('steps');
  if (stepsEntry === undefined || src.entries(stepsEntry.value, '', 'steps').length === 0) {
    throw src.error(stepsEntry?.keyNode ?? root, '', `the workflow has no steps; add 'steps:' with at least one step.`);
  }
  const raws: RawStep[] = [];
  for (const e of src.entries(stepsEntry.value, '', 'steps')) raws.push(parseStep(src, e.key, e.keyNode, e.value));
  const rawOutputs = parseOutputs(src, f.get('outputs')?.value);
  const scope = buildScope(inputs, raws, baseDir);
  const steps: Step[] = raws.map((r) => resolveStep(scope, r));
  const outputs: WorkflowOutput[] = rawOutputs.map((o) => resolveOutput(scope, o));
  const name = f.get('name');
  const doc = f.get('doc');
  const workflow: Workflow = {
    name: name === undefined ? path.basename(baseDir) : src.string(name.value, '', 'name'),
    file: src.file,
    inputs,
    outputs,
    steps,
    ...(doc !== undefined ? { doc: src.string(doc.value, '', 'doc') } : {}),
  };
  const cycle = findCycle(workflow);
  if (cycle !== null) {
    const first = steps.find((s) => s.id === cycle[0]) as Step;
    const chain = [...cycle, cycle[0]].map((id) => `"${id}"`).join(' -> ');
    throw inputError(first.loc, `step "${first.id}"`, `the steps form a cycle: ${chain} (each reads an output of the one before it). A workflow must be acyclic; to iterate, unroll the loop into rounds and stop early with 'when'.`);
  }
  return workflow;
}

function parseInputs(src: YamlSource, node: YNode | undefined, baseDir: string): PortDef[] {
  const out: PortDef[] = [];
  for (const e of src.entries(node, '', 'inputs')) {
    const context = `workflow input "${e.key}"`;
    checkId(src, e.key, e.keyNode, '', 'workflow input');
    const loc = src.loc(e.keyNode);
    if (e.value?.kind !== 'map') {
      const spec = parseType(src, e.value, context);
      out.push({ id: e.key, type: spec.type, optional: spec.optional, loc });
      continue;
    }
    const f = src.fields(e.value, INPUT_KEYS, context, 'a workflow input');
    const typeEntry = f.get('type');
    if (typeEntry === undefined) throw src.error(e.value, context, `needs a type, e.g. '{ type: file }'.`);
    const spec = parseType(src, typeEntry.value, context);
    const def = f.get('default');
    const doc = f.get('doc');
    let value: PortDef['default'];
    if (def !== undefined) {
      const c = coerceValue(src.toJS(def.value), spec.type, true, baseDir);
      if ('error' in c) throw src.error(def.value, context, `the default does not fit the type ${formatType(spec.type)}: ${c.error}.`);
      value = c.value;
    }
    out.push({
      id: e.key,
      type: spec.type,
      optional: spec.optional,
      loc,
      ...(value !== undefined ? { default: value } : {}),
      ...(doc !== undefined ? { doc: src.string(doc.value, context, 'doc') } : {}),
    });
  }
  return out;
}

function parseOutputs(src: YamlSource, node: YNode | undefined): RawOutput[] {
  const out: RawOutput[] = [];
  for (const e of src.entries(node, '', 'outputs')) {
    const context = `workflow output "${e.key}"`;
    checkId(src, e.key, e.keyNode, '', 'workflow output');
    const loc = src.loc(e.keyNode);
    if (e.value?.kind !== 'map') {
      out.push({ id: e.key, sources: parseSources(src, e.value, context), loc });
      continue;
    }
    const f = src.fields(e.value, OUTPUT_KEYS, context, 'a workflow output');
    const from = f.get('from');
    if (from === undefined) throw src.error(e.value, context, `needs 'from: step/output'.`);
    const type = f.get('type');
    const pick = f.get('pickValue');
    const doc = f.get('doc');
    const sources = parseSources(src, from.value, context);
    if (sources.length === 0) throw src.error(from.keyNode, context, `needs at least one source in 'from'.`);
    out.push({
      id: e.key,
      sources,
      loc,
      ...(type !== undefined ? { declared: parseType(src, type.value, context).type } : {}),
      ...(pick !== undefined ? { pickValue: parsePickValue(src, pick.value, context) } : {}),
      ...(doc !== undefined ? { doc: src.string(doc.value, context, 'doc') } : {}),
    });
  }
  return out;
}
