/**
 * Evaluating CWL strings that may hold expressions: a string that is exactly
 * one `$(…)` / `${…}` gives the value itself; otherwise each expression's
 * value is interpolated (strings as they are, everything else as JSON).
 * Without a sandbox (no InlineJavascriptRequirement, or on the master) only
 * parameter references are evaluated.
 */
import { evalParamRef, parseParamRef } from './paramref.js';
import { ExpressionError, type ExpressionContext, type ExpressionSandbox } from './sandbox.js';
import { ExpressionSyntaxError, hasExpression, scan } from './scan.js';

export interface Evaluator {
  /** The JavaScript sandbox; absent: parameter references only. */
  readonly js?: ExpressionSandbox;
  /**
   * The master's evaluator in sealed runs: what needs JavaScript (a secondaryFiles pattern) is left to the worker,
   * which evaluates it again in its sandbox, rather than refused.
   */
  readonly deferJavaScript?: boolean;
}

/** Whether `value` holds an expression that is not a parameter reference (it needs the sandbox). */
export function needsJavaScript(value: unknown): boolean {
  if (typeof value !== 'string' || !hasExpression(value)) return false;
  try {
    return scan(value).some((s) => {
      if (s.kind === 'text') return false;
      if (s.kind === 'brace') return true;
      parseParamRef(s.code);
      return false;
    });
  } catch {
    return true;
  }
}

function evalOne(kind: 'paren' | 'brace', code: string, ctx: ExpressionContext, ev: Evaluator): unknown {
  if (ev.js) return ev.js.evaluate(kind, code, ctx);
  if (kind === 'brace') throw new ExpressionError(`\${${code.slice(0, 60)}} is JavaScript; the document must declare InlineJavascriptRequirement`);
  try {
    return evalParamRef(parseParamRef(code), { inputs: ctx.inputs ?? null, self: ctx.self ?? null, runtime: ctx.runtime ?? null });
  } catch (e) {
    if (e instanceof ExpressionSyntaxError) throw new ExpressionError(e.message);
    throw e;
  }
}

/** Whether `s` is one expression with only white space around it (it evaluates to that expression's value). */
export function isLoneExpression(s: string): boolean {
  if (!hasExpression(s)) return false;
  try {
    const segs = scan(s);
    return segs.filter((x) => x.kind !== 'text').length === 1 && segs.every((x) => x.kind !== 'text' || x.text.trim() === '');
  } catch {
    return false;
  }
}

/** Evaluates `value` if it is a string holding expressions; other values are returned as they are. */
export function evaluate(value: unknown, ctx: ExpressionContext, ev: Evaluator): unknown {
  if (typeof value !== 'string' || !hasExpression(value)) return value;
  let segs;
  try {
    segs = scan(value);
  } catch (e) {
    if (e instanceof ExpressionSyntaxError) throw new ExpressionError(`${e.message}: ${value.slice(0, 80)}`);
    throw e;
  }
  // A lone expression with white space around it (a YAML block scalar's final newline) gives its value, as cwltool does.
  const exprs = segs.flatMap((s) => (s.kind === 'text' ? [] : [s]));
  const only = exprs.length === 1 && segs.every((s) => s.kind !== 'text' || s.text.trim() === '') ? exprs[0] : undefined;
  if (only) return evalOne(only.kind, only.code, ctx, ev);
  // Interpolation: surrounding whitespace of a lone expression is kept as text.
  let out = '';
  for (const s of segs) {
    if (s.kind === 'text') out += s.text;
    else {
      const v = evalOne(s.kind, s.code, ctx, ev);
      out += typeof v === 'string' ? v : JSON.stringify(v);
    }
  }
  return out;
}
