/**
 * The scalar side of the fast YAML parser (fast-yaml.ts): the bail-out
 * signal, YAML 1.2 core schema resolution of plain scalars, single-line
 * quoted scalars, and duplicate-key detection. Everything here works on the
 * text and offsets alone; the line structure stays in fast-yaml.ts.
 */
import type { YPair, YScalar } from './yaml-nodes.js';

/** Thrown when the text leaves the supported subset; parseFast then returns undefined. */
export class Bail extends Error {}
export const bail = (): never => {
  throw new Bail();
};

/** YAML 1.2 core schema resolution of a plain scalar. */
const TRUE = /^(?:[Tt]rue|TRUE)$/;
const FALSE = /^(?:[Ff]alse|FALSE)$/;
const INT = /^[-+]?[0-9]+$/;
const OCT = /^0o[0-7]+$/;
const HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
const INF = /^[-+]?\.(?:inf|Inf|INF)$/;
const NAN = /^\.(?:nan|NaN|NAN)$/;

/** YAML 1.2 core schema resolution of a plain scalar (the `yaml` package's core tags, in its order). */
export function resolvePlain(s: string): string | number | boolean | null {
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  const c = s.charCodeAt(0);
  if (c === 116 || c === 84 || c === 102 || c === 70) {
    if (TRUE.test(s)) return true;
    if (FALSE.test(s)) return false;
    return s;
  }
  if (!((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46)) return s;
  if (INT.test(s)) return parseInt(s, 10);
  if (OCT.test(s)) return parseInt(s.slice(2), 8);
  if (HEX.test(s)) return parseInt(s.slice(2), 16);
  if (FLOAT_EXP.test(s) || FLOAT.test(s)) return parseFloat(s);
  if (INF.test(s)) return s[0] === '-' ? -Infinity : Infinity;
  if (NAN.test(s)) return NaN;
  return s;
}

export function plainScalar(raw: string, offset: number): YScalar {
  const value = resolvePlain(raw);
  return typeof value === 'number' || typeof value === 'boolean' ? { kind: 'scalar', value, offset, source: raw } : { kind: 'scalar', value, offset };
}

/** Offset just past the closing quote of a quoted scalar at `pos`; `end` is where its line ends. */
export function quotedEnd(t: string, pos: number, end: number): number {
  const q = t[pos];
  for (let p = pos + 1; p < end; p++) {
    if (q === '"' && t[p] === '\\') {
      p++;
      continue;
    }
    if (t[p] === q) {
      if (q === "'" && t[p + 1] === "'") {
        p++;
        continue;
      }
      return p + 1;
    }
  }
  return bail();
}

const ESC: Readonly<Record<string, string>> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', '0': '\0', ' ': ' ' };

/** The single-line quoted scalar at `pos` (its line ends at `end`). */
export function quoted(t: string, pos: number, end: number): YScalar {
  const close = quotedEnd(t, pos, end) - 1;
  const body = t.slice(pos + 1, close);
  if (t[pos] === "'") return { kind: 'scalar', value: body.replaceAll("''", "'"), offset: pos };
  if (!body.includes('\\')) return { kind: 'scalar', value: body, offset: pos };
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const e = body[++i] ?? '';
    if (e in ESC) out += ESC[e];
    else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(body.slice(i + 1, i + 5))) {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 5), 16));
      i += 4;
    } else bail();
  }
  return { kind: 'scalar', value: out, offset: pos };
}

/**
 * Duplicate-key detection (duplicates go to the full parser, which reports
 * them): a linear scan while a map is small, a Set once it is large.
 */
export class KeySet {
  private set: Set<string> | undefined;
  constructor(private readonly pairs: readonly YPair[]) {}
  /** True if `k` is already a key; otherwise remembers it (the caller then appends the pair). */
  seen(k: string): boolean {
    const pairs = this.pairs;
    if (this.set === undefined && pairs.length < 16) {
      for (let i = 0; i < pairs.length; i++) if (String((pairs[i] as YPair).key.value) === k) return true;
      return false;
    }
    this.set ??= new Set(pairs.map((p) => String(p.key.value)));
    if (this.set.has(k)) return true;
    this.set.add(k);
    return false;
  }
}
