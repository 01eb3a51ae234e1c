/**
 * CWL parameter references (v1.2 § "Parameter references"): `inputs.x`,
 * `self[0].path`, `runtime.outdir`, `inputs['a b'].length`, without any
 * JavaScript. This is the evaluator the master may run (DESIGN.md, "Where
 * computation on plaintext happens"): it reads object fields, array
 * elements and `length`, nothing else, and is also what a worker uses when a
 * document does not ask for InlineJavascriptRequirement.
 */
import { ExpressionSyntaxError } from './scan.js';

export type PathPart = { readonly kind: 'field'; readonly name: string } | { readonly kind: 'index'; readonly index: number };
export interface ParamRef {
  readonly root: string;
  readonly path: readonly PathPart[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Parses the code inside `$(…)` as a parameter reference; throws ExpressionSyntaxError when it is not one. */
export function parseParamRef(code: string): ParamRef {
  const s = code.trim();
  const root = IDENT.exec(s)?.[0];
  if (root === undefined) throw new ExpressionSyntaxError(`'${short(code)}' is not a parameter reference (it must start with a name such as inputs, self or runtime)`);
  const path: PathPart[] = [];
  let i = root.length;
  while (i < s.length) {
    if (s[i] === '.') {
      const name = IDENT.exec(s.slice(i + 1))?.[0];
      if (name === undefined) throw new ExpressionSyntaxError(`'${short(code)}': a name must follow '.' at offset ${i}`);
      path.push({ kind: 'field', name });
      i += 1 + name.length;
    } else if (s[i] === '[') {
      const rest = s.slice(i + 1);
      const num = /^\s*(\d{1,9})\s*\]/.exec(rest);
      const str = /^\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\]/.exec(rest);
      if (num) {
        path.push({ kind: 'index', index: Number(num[1]) });
        i += 1 + num[0].length;
      } else if (str) {
        path.push({ kind: 'field', name: (str[1] ?? str[2] ?? '').replace(/\\(.)/g, '$1') });
        i += 1 + str[0].length;
      } else throw new ExpressionSyntaxError(`'${short(code)}': '[' at offset ${i} must hold a number or a quoted name`);
    } else throw new ExpressionSyntaxError(`'${short(code)}' is not a parameter reference (unexpected '${s[i]}' at offset ${i}); JavaScript needs InlineJavascriptRequirement`);
  }
  return { root, path };
}

function short(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/** Evaluates a parsed reference over `context` (plain JSON values). */
export function evalParamRef(ref: ParamRef, context: Readonly<Record<string, unknown>>): unknown {
  if (ref.path.length === 0 && (ref.root === 'null' || ref.root === 'true' || ref.root === 'false')) return ref.root === 'null' ? null : ref.root === 'true';
  if (!Object.hasOwn(context, ref.root)) throw new ExpressionSyntaxError(`unknown name '${ref.root}' in a parameter reference (known: ${Object.keys(context).join(', ')})`);
  let v: unknown = context[ref.root];
  let where = ref.root;
  for (const p of ref.path) {
    if (p.kind === 'field' && p.name === 'length' && (Array.isArray(v) || typeof v === 'string')) {
      v = v.length;
    } else if (p.kind === 'index' && Array.isArray(v)) {
      v = p.index < v.length ? v[p.index] : null;
    } else if (p.kind === 'field' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      if (!Object.hasOwn(v, p.name)) throw new ExpressionSyntaxError(`${where} has no field '${p.name}'`);
      v = (v as Record<string, unknown>)[p.name];
    } else if (v === null || v === undefined) {
      throw new ExpressionSyntaxError(`${where} is null; cannot read ${p.kind === 'field' ? p.name : `[${p.index}]`}`);
    } else {
      v = null;
    }
    where += p.kind === 'field' ? `.${p.name}` : `[${p.index}]`;
  }
  return v === undefined ? null : v;
}
