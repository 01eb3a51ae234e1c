/**
 * Runs a CWL Workflow (CWL v1.2 § "Workflow"): steps start when their
 * sources are there, independent steps run at the same time; step inputs
 * from one or several sources (linkMerge, pickValue, default, valueFrom);
 * scatter with dotproduct, nested_crossproduct and flat_crossproduct; `when`
 * per instance (false: the instance's outputs are null); subworkflows run
 * here too. Every expression runs in the sandbox.
 */
import type { CwlProcess, CwlStep } from '../../workflow/cwl/model.js';
import { evaluate, type Evaluator } from '../../workflow/cwl/expr/evaluate.js';
import type { Reqs } from './requirements.js';
import { runTool, type ToolRunOptions } from './tool.js';
import { CwlRunError, describeType, expandFormats, fillInputs, matches, isObj, loadContents, type Obj } from './values.js';

function merge(values: unknown[], linkMerge: string | undefined, many: boolean): unknown {
  if (!many && linkMerge === undefined) return values[0] ?? null;
  if (linkMerge === 'merge_flattened') return values.flatMap((v) => (Array.isArray(v) ? v : [v]));
  return values;
}

function pickValue(v: unknown, how: string | undefined, where: string): unknown {
  if (how === undefined) return v;
  const list = Array.isArray(v) ? v : [v];
  const nonNull = list.filter((x) => x !== null && x !== undefined);
  if (how === 'first_non_null') {
    if (nonNull.length === 0) throw new CwlRunError(`${where}: pickValue first_non_null found only null values`);
    return nonNull[0];
  }
  if (how === 'the_only_non_null') {
    if (nonNull.length !== 1) throw new CwlRunError(`${where}: pickValue the_only_non_null found ${nonNull.length} non-null values`);
    return nonNull[0];
  }
  if (how === 'all_non_null') return nonNull;
  throw new CwlRunError(`${where}: unknown pickValue ${how}; use first_non_null, the_only_non_null or all_non_null`);
}

/** Instances of a scattered step, and how to shape their outputs back. */
function scatterJobs(step: CwlStep, inputs: Obj): { jobs: Obj[]; shape: (outs: unknown[]) => unknown } {
  const keys = step.scatter;
  for (const k of keys) if (!Array.isArray(inputs[k])) throw new CwlRunError(`${step.at}: step ${step.id}: scatter input '${k}' is not an array`);
  const arrays = keys.map((k) => inputs[k] as unknown[]);
  const method = step.scatterMethod ?? 'dotproduct';
  if (keys.length === 1 || method === 'dotproduct') {
    const n = arrays[0]!.length;
    if (arrays.some((a) => a.length !== n)) throw new CwlRunError(`${step.at}: step ${step.id}: dotproduct scatter needs arrays of equal length (${keys.join(', ')})`);
    return { jobs: Array.from({ length: n }, (_, i) => ({ ...inputs, ...Object.fromEntries(keys.map((k, j) => [k, arrays[j]![i]])) })), shape: (o) => o };
  }
  const jobs: Obj[] = [];
  const rec = (j: number, acc: Obj): void => {
    if (j === keys.length) return void jobs.push({ ...inputs, ...acc });
    for (const x of arrays[j]!) rec(j + 1, { ...acc, [keys[j]!]: x });
  };
  rec(0, {});
  if (method === 'flat_crossproduct') return { jobs, shape: (o) => o };
  if (method !== 'nested_crossproduct') throw new CwlRunError(`${step.at}: scatterMethod ${method} is not one of dotproduct, nested_crossproduct, flat_crossproduct`);
  const nest = (flat: unknown[], dims: number[]): unknown => {
    if (dims.length <= 1) return flat;
    const size = flat.length / dims[0]!;
    return Array.from({ length: dims[0]! }, (_, i) => nest(flat.slice(i * size, (i + 1) * size), dims.slice(1)));
  };
  return { jobs, shape: (o) => nest(o, arrays.map((a) => a.length)) };
}

async function runStep(step: CwlStep, values: Map<string, unknown>, reqs: Reqs, opts: ToolRunOptions): Promise<Obj> {
  const stepReqs = reqs.child(step);
  stepReqs.check(step.run);
  const ev: Evaluator & { dispose(): void } = await stepReqs.evaluator();
  try {
    const raw: Obj = {};
    for (const i of step.in) {
      const vals = i.source.map((s) => {
        if (!values.has(s)) throw new CwlRunError(`${step.at}: step ${step.id}: input '${i.id}' reads '${s}', which is neither a workflow input nor an output of an earlier step`);
        return values.get(s);
      });
      let v = i.source.length === 0 ? null : merge(vals, i.linkMerge ?? (i.source.length > 1 ? 'merge_nested' : undefined), i.source.length > 1 || i.linkMerge !== undefined);
      v = pickValue(v, i.pickValue, `${step.at}: step ${step.id}: input '${i.id}'`);
      if ((v === null || v === undefined) && i.default !== undefined) v = structuredClone(i.default);
      if (i.loadContents && isObj(v) && v.class === 'File') loadContents(v);
      raw[i.id] = v ?? null;
    }
    const { jobs, shape } = step.scatter.length > 0 ? scatterJobs(step, raw) : { jobs: [raw], shape: (o: unknown[]) => o[0] };
    const runOne = async (job: Obj): Promise<Obj | null> => {
      const inputs: Obj = { ...job };
      for (const i of step.in) if (i.valueFrom !== undefined) inputs[i.id] = evaluate(i.valueFrom, { inputs: job, self: job[i.id] ?? null }, ev);
      if (step.when !== undefined) {
        const w = evaluate(step.when, { inputs }, ev);
        if (typeof w !== 'boolean') throw new CwlRunError(`${step.at}: step ${step.id}: 'when' must give true or false, got ${JSON.stringify(w)}`);
        if (!w) return null;
      }
      const own: Obj = {};
      for (const p of step.run.inputs) if (Object.hasOwn(inputs, p.id)) own[p.id] = inputs[p.id];
      return runProcess(step.run, own, stepReqs, opts, false);
    };
    const results = await Promise.all(jobs.map(runOne));
    const out: Obj = {};
    for (const o of step.out) out[o] = shape(results.map((r) => (r === null ? null : (r[o] ?? null))));
    return out;
  } finally {
    ev.dispose();
  }
}

export async function runProcess(proc: CwlProcess, job: Obj, inherited: Reqs, opts: ToolRunOptions, top = true): Promise<Obj> {
  const reqs = inherited.child(proc);
  job = expandFormats(job, proc.namespaces) as Obj;
  if (proc.class === 'Operation') throw new CwlRunError(`${proc.at}: an Operation has no implementation to run`);
  if (proc.class !== 'Workflow') return runTool(proc, job, reqs, opts, top);
  reqs.check(proc);
  const ev = await reqs.evaluator();
  let inputs: Obj;
  try {
    const listing = reqs.get('LoadListingRequirement')?.loadListing as string | undefined;
    inputs = fillInputs(proc.inputs, job, ev, proc.at, listing, top);
  } finally {
    ev.dispose();
  }
  const values = new Map<string, unknown>(Object.entries(inputs));
  const steps = [...(proc.steps ?? [])];
  const running = new Map<string, Promise<void>>();
  const unfinished = (id: string): boolean => steps.some((o) => o.id === id) || running.has(id);
  const pendingSources = (s: CwlStep): boolean => s.in.some((i) => i.source.some((src) => !values.has(src) && src.includes('/') && unfinished(src.slice(0, src.indexOf('/')))));
  let failure: unknown;
  while (steps.length > 0 || running.size > 0) {
    for (const s of [...steps]) {
      if (pendingSources(s) || failure !== undefined) continue;
      steps.splice(steps.indexOf(s), 1);
      running.set(
        s.id,
        runStep(s, values, reqs, opts).then(
          (o) => {
            for (const [k, v] of Object.entries(o)) values.set(`${s.id}/${k}`, v);
            running.delete(s.id);
          },
          (e: unknown) => {
            failure ??= e;
            running.delete(s.id);
          },
        ),
      );
    }
    if (running.size === 0) {
      if (failure !== undefined) throw failure;
      if (steps.length > 0) throw new CwlRunError(`${proc.at}: steps ${steps.map((s) => s.id).join(', ')} wait on each other (a cycle)`);
      break;
    }
    await Promise.race(running.values());
  }
  if (failure !== undefined) throw failure;
  const out: Obj = {};
  for (const o of proc.outputs) {
    const srcs = o.outputSource ?? [];
    const vals = srcs.map((s) => values.get(s) ?? null);
    let v = srcs.length === 0 ? null : merge(vals, o.linkMerge ?? (srcs.length > 1 ? 'merge_nested' : undefined), srcs.length > 1 || o.linkMerge !== undefined);
    v = pickValue(v, o.pickValue, `${proc.at}: output '${o.id}'`);
    if (!matches(o.type, v ?? null)) throw new CwlRunError(`${proc.at}: workflow output '${o.id}' must be ${describeType(o.type)}, got ${JSON.stringify(v ?? null).slice(0, 120)}`);
    out[o.id] = v ?? null;
  }
  return out;
}
