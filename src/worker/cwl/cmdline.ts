/**
 * A CommandLineTool's command line (CWL v1.2 § "Input binding", §
 * "Runtime environment"): bindings from `arguments` and from every input
 * (recursively into records and array items), sorted by position then name,
 * each turned into words by its prefix, separate, itemSeparator and
 * valueFrom. With ShellCommandRequirement the words are joined into one
 * `sh -c` string, each quoted unless `shellQuote: false`.
 */
import type { CwlBinding, CwlProcess, CwlType } from '../../workflow/cwl/model.js';
import { evaluate, type Evaluator } from '../../workflow/cwl/expr/evaluate.js';
import { CwlRunError, isObj, pathOf, pick, type Obj } from './values.js';

type Key = (number | string)[];
interface Bound {
  readonly key: Key;
  readonly binding: CwlBinding;
  readonly datum: unknown;
  readonly fromArgument: boolean;
}

export interface Word {
  readonly text: string;
  /** False for `shellQuote: false` bindings under ShellCommandRequirement. */
  readonly quote: boolean;
}

function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

function position(b: CwlBinding, ctx: { inputs: Obj; self: unknown }, ev: Evaluator): number {
  const p = b.position;
  if (p === undefined) return 0;
  if (typeof p === 'number') return p;
  const v = evaluate(p, ctx, ev);
  if (v === null) return 0;
  if (typeof v !== 'number') throw new CwlRunError(`position ${p} must evaluate to a number`);
  return v;
}

/**
 * The bindings of one value (cwltool's reading of § "Input binding"): a
 * parameter's own binding; an array's items each bound by the array type's
 * `inputBinding` (or bare, when the parameter's binding has no
 * itemSeparator or valueFrom); a record's fields by their bindings. Nested
 * keys are prefixed by the parent's, so they sort right after it.
 */
function bindInput(type: CwlType, binding: CwlBinding | undefined, datum: unknown, lead: Key, tail: Key, inputs: Obj, ev: Evaluator, out: Bound[]): void {
  const t = pick(type, datum) ?? type;
  let own = binding;
  const children: Bound[] = [];
  if (isObj(t)) {
    const o = t as { type: string; items?: CwlType; inputBinding?: CwlBinding; fields?: readonly { name: string; type: CwlType; inputBinding?: CwlBinding }[] };
    if (o.type === 'array' && Array.isArray(datum)) {
      const itemBinding = o.inputBinding ?? (own && own.itemSeparator === undefined && own.valueFrom === undefined ? {} : undefined);
      if (itemBinding) datum.forEach((x, n) => bindInput(o.items!, itemBinding, x, [n], [], inputs, ev, children));
    } else if (o.type === 'record' && isObj(datum)) {
      for (const f of o.fields ?? []) if (f.inputBinding || isObj(f.type)) bindInput(f.type, f.inputBinding, datum[f.name] ?? null, [], [f.name], inputs, ev, children);
    } else if (o.type === 'enum' && own === undefined) own = o.inputBinding;
  }
  if (!own) {
    for (const c of children) out.push({ ...c, key: [...lead, ...c.key, ...tail] });
    return;
  }
  const key: Key = [...lead, position(own, { inputs, self: datum }, ev), ...tail];
  out.push({ key, binding: own, datum, fromArgument: false });
  for (const c of children) out.push({ ...c, key: [...key, ...c.key] });
}

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isObj(v) && (v.class === 'File' || v.class === 'Directory')) return pathOf(v);
  return JSON.stringify(v);
}

function wordsOf(b: Bound, inputs: Obj, ev: Evaluator, runtime: Obj): string[] {
  const bind = b.binding;
  let v = b.datum;
  if (!b.fromArgument && (v === null || v === undefined)) return [];
  if (bind.valueFrom !== undefined) v = evaluate(bind.valueFrom, { inputs, self: b.fromArgument ? null : v, runtime }, ev);
  const prefix = bind.prefix;
  const separate = bind.separate !== false;
  const withPrefix = (s: string): string[] => (prefix === undefined ? [s] : separate ? [prefix, s] : [prefix + s]);
  if (v === null || v === undefined) return [];
  if (typeof v === 'boolean') return v && prefix !== undefined ? [prefix] : [];
  if (Array.isArray(v)) {
    if (v.length === 0) return [];
    if (bind.itemSeparator !== undefined) return withPrefix(v.map(str).join(bind.itemSeparator));
    // Without valueFrom the items are bound on their own (bindInput); the array gives its prefix.
    if (bind.valueFrom === undefined && !b.fromArgument) return prefix !== undefined ? [prefix] : [];
    return [...(prefix !== undefined ? [prefix] : []), ...v.map(str)];
  }
  if (isObj(v) && v.class !== 'File' && v.class !== 'Directory') return prefix !== undefined ? [prefix] : [];
  return withPrefix(str(v));
}

/** The words after the base command, in order. */
export function buildArguments(tool: CwlProcess, inputs: Obj, runtime: Obj, ev: Evaluator): Word[] {
  const bound: Bound[] = [];
  (tool.arguments ?? []).forEach((a, i) => {
    const binding: CwlBinding = typeof a === 'string' ? { valueFrom: a } : a;
    const pos = position(binding, { inputs, self: null }, ev);
    bound.push({ key: [pos, i], binding, datum: null, fromArgument: true });
  });
  for (const p of tool.inputs) bindInput(p.type, p.inputBinding, inputs[p.id] ?? null, [], [p.id], inputs, ev, bound);
  bound.sort((a, b) => compareKeys(a.key, b.key));
  const words: Word[] = [];
  for (const b of bound) for (const w of wordsOf(b, inputs, ev, runtime)) words.push({ text: w, quote: b.binding.shellQuote !== false });
  return words;
}

/** POSIX single quoting. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:,+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
