/**
 * Message schemas (docs/protocol.md "Framing and limits"): tiny validators
 * built from one field spec per message type, kept next to each channel's
 * tagged union. Every channel checks each message with its union's
 * validator before a handler sees it, so handlers only ever get well-typed
 * messages. Lookups use the specs' own keys only: an inherited name
 * (`valueOf`, `__proto__`, `constructor`) is an unknown type.
 */
import { ProtocolError } from './protocol-error.js';

/** What is wrong with a value, and where (`.exec.argv[2]`). */
export interface Problem {
  readonly at: string;
  readonly what: string;
}

/** Checks one value; null when it fits. `depth` counts the objects and arrays around it. */
export type Check = (v: unknown, depth: number) => Problem | null;

/** Deeper values are refused: a peer cannot make a later recursive walk overflow the stack. */
export const MAX_DEPTH = 32;

const bad = (what: string): Problem => ({ at: '', what });
const under = (p: Problem, step: string): Problem => ({ at: step + p.at, what: p.what });
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const keyStep = (k: string) => (/^[A-Za-z_$][\w$-]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k.slice(0, 40))}]`);

export const str: Check = (v) => (typeof v === 'string' ? null : bad('is not a string'));
export const bool: Check = (v) => (typeof v === 'boolean' ? null : bad('is not a boolean'));
export const num: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? null : bad('is not a finite number'));
/** A safe integer, at least `min` (and at most `max`, when given). */
export const int =
  (min = Number.MIN_SAFE_INTEGER, max?: number): Check =>
  (v) =>
    Number.isSafeInteger(v) && (v as number) >= min && (max === undefined || (v as number) <= max)
      ? null
      : bad(max === undefined ? `is not an integer ≥ ${min}` : `is not an integer from ${min} to ${max}`);

export function literal(...values: readonly (string | number | boolean | null)[]): Check {
  return (v) => (values.includes(v as never) ? null : bad(`is not one of ${values.map((x) => JSON.stringify(x)).join(', ')}`));
}

export function nullable(c: Check): Check {
  return (v, d) => (v === null ? null : c(v, d));
}

export function arrayOf(c: Check): Check {
  return (v, d) => {
    if (!Array.isArray(v)) return bad('is not an array');
    if (d >= MAX_DEPTH) return bad('is nested too deeply');
    for (let i = 0; i < v.length; i++) {
      const p = c(v[i], d + 1);
      if (p) return under(p, `[${i}]`);
    }
    return null;
  };
}

/** An object used as a map: any own keys except `__proto__`, each value checked by `c`. */
export function recordOf(c: Check): Check {
  return (v, d) => {
    if (!isPlainObject(v)) return bad('is not an object');
    if (d >= MAX_DEPTH) return bad('is nested too deeply');
    for (const [k, x] of Object.entries(v)) {
      if (k === '__proto__') return bad('has the key "__proto__"');
      const p = c(x, d + 1);
      if (p) return under(p, keyStep(k));
    }
    return null;
  };
}

/** An object with exactly these fields: every `required` one, any of the `optional` ones, nothing else (`type` aside, which the union checks). */
export function shape(required: Readonly<Record<string, Check>>, optional: Readonly<Record<string, Check>> = {}): Check {
  return (v, d) => {
    if (!isPlainObject(v)) return bad('is not an object');
    if (d >= MAX_DEPTH) return bad('is nested too deeply');
    for (const k of Object.keys(required)) if (!Object.hasOwn(v, k)) return bad(`has no field "${k}"`);
    for (const [k, x] of Object.entries(v)) {
      const c = Object.hasOwn(required, k) ? required[k] : Object.hasOwn(optional, k) ? optional[k] : undefined;
      if (c === undefined) {
        if (k === 'type' && d === 0) continue;
        return bad(`has an unexpected field ${JSON.stringify(k.slice(0, 40))}`);
      }
      const p = c(x, d + 1);
      if (p) return under(p, keyStep(k));
    }
    return null;
  };
}

/** One of several shapes, told apart by the string field `tag` (e.g. `kind`). */
export function tagged(tag: string, cases: Readonly<Record<string, Check>>): Check {
  return (v, d) => {
    if (!isPlainObject(v)) return bad('is not an object');
    const t = v[tag];
    if (typeof t !== 'string' || !Object.hasOwn(cases, t)) return under(bad(`is not one of ${Object.keys(cases).join(', ')}`), `.${tag}`);
    return (cases[t] as Check)(v, d);
  };
}

/** Any JSON value up to MAX_DEPTH, objects without a `__proto__` key (port values, port types). */
export const json: Check = (v, d) => {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? null : bad('is not a finite number');
  if (Array.isArray(v)) return arrayOf(json)(v, d);
  if (isPlainObject(v)) return recordOf(json)(v, d);
  return bad('is not a JSON value');
};

/** `(x) => message | reason`: the message when `x` fits its type's spec, else why not (for a ProtocolError). */
export type Validator<M> = (x: unknown) => M | string;

/**
 * The validator of a tagged union: one spec (a `shape`) per message type,
 * and a type without a spec fails to compile. Only the table's own entries
 * are types of this channel.
 */
export function union<M extends { readonly type: string }>(specs: { readonly [K in M['type']]: Check }): Validator<M> {
  const table = specs as Readonly<Record<string, Check>>;
  return (x) => {
    if (!isPlainObject(x)) return 'the message is not a JSON object';
    const t = x['type'];
    if (typeof t !== 'string') return 'the message has no string field "type"';
    if (!Object.hasOwn(table, t)) return `unknown message type ${JSON.stringify(t.slice(0, 40))}`;
    const p = (table[t] as Check)(x, 0);
    if (!p) return x as M;
    return `${t} message: ${p.at === '' ? '' : `field ${p.at.replace(/^\./, '')} `}${p.what}`;
  };
}

/** Parses one frame (a line, without its newline) into a message of the channel, or throws a ProtocolError. */
export function parseMessage<M>(line: string | Uint8Array, validate: Validator<M>): M {
  const bytes = typeof line === 'string' ? Buffer.from(line, 'utf8') : Buffer.from(line.buffer, line.byteOffset, line.byteLength);
  // One linear pass before JSON.parse: a frame of nested brackets is refused without building it.
  if (bracketDepth(bytes) > MAX_DEPTH + 1) throw new ProtocolError('invalid-message', `a message nested more than ${MAX_DEPTH} levels deep`);
  const text = typeof line === 'string' ? line : bytes.toString('utf8');
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch {
    throw new ProtocolError('malformed-json', `a line that is not JSON: ${JSON.stringify(text.slice(0, 60))}`);
  }
  return checkMessage(x, validate);
}

/** Checks an already-decoded message (IPC): the message, or a ProtocolError. */
export function checkMessage<M>(x: unknown, validate: Validator<M>): M {
  const r = validate(x);
  if (typeof r === 'string') throw new ProtocolError('invalid-message', r);
  return r;
}

/** The deepest nesting of `[` and `{` outside JSON strings, in one pass over the bytes. */
export function bracketDepth(b: Uint8Array): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i] as number;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}
