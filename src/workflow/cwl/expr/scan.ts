/**
 * Splits a CWL string into literal text and expressions (CWL v1.2 §
 * "Expressions"): `$(…)` parameter references / JavaScript expressions and
 * `${…}` JavaScript function bodies. Balanced brackets are tracked outside
 * quoted strings; `\$(` and `\${` are literal. Used by both the master's
 * parameter-reference evaluator and the worker's sandbox, so they agree on
 * where an expression starts and ends.
 */

export type Segment = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'paren' | 'brace'; readonly code: string };

/** A string that is not a well-formed CWL expression template. */
export class ExpressionSyntaxError extends Error {
  override readonly name = 'ExpressionSyntaxError';
}

const MAX_LENGTH = 1 << 20;

/** Finds the end (index of the matching closer) of a bracketed expression starting at `open`. */
function matchClose(s: string, open: number): number {
  const stack: string[] = [];
  let quote: string | null = null;
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (quote !== null) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') stack.push(c === '(' ? ')' : c === '[' ? ']' : '}');
    else if (c === ')' || c === ']' || c === '}') {
      if (stack.pop() !== c) throw new ExpressionSyntaxError(`unbalanced '${c}' at offset ${i} in expression`);
      if (stack.length === 0) return i;
    }
  }
  throw new ExpressionSyntaxError(`expression starting at offset ${open - 1} is not closed`);
}

/** The segments of `s`; a string without expressions is one text segment. */
export function scan(s: string): Segment[] {
  if (s.length > MAX_LENGTH) throw new ExpressionSyntaxError(`expression template longer than ${MAX_LENGTH} characters`);
  const out: Segment[] = [];
  let text = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    // CWL v1.1+ escaping (cwltool's escaping behaviour 2): `\\` is one backslash, `\$(` and `\${` are literal.
    if (c === '\\' && s[i + 1] === '\\') {
      text += '\\';
      i++;
      continue;
    }
    if (c === '\\' && s[i + 1] === '$' && (s[i + 2] === '(' || s[i + 2] === '{')) {
      text += '$';
      i++;
      continue;
    }
    if (c === '$' && (s[i + 1] === '(' || s[i + 1] === '{')) {
      const end = matchClose(s, i + 1);
      if (text !== '') out.push({ kind: 'text', text });
      text = '';
      out.push({ kind: s[i + 1] === '(' ? 'paren' : 'brace', code: s.slice(i + 2, end) });
      i = end;
      continue;
    }
    text += c;
  }
  if (text !== '' || out.length === 0) out.push({ kind: 'text', text });
  return out;
}

/** True when `s` contains an expression. */
export function hasExpression(s: string): boolean {
  return /\$[({]/.test(s);
}
