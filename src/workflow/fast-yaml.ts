/**
 * A fast parser for the plain YAML subset that workflow files use: block
 * maps and sequences, flow `{...}`/`[...]` (also over several lines), plain
 * and single-line quoted scalars, comments; scalars resolved as the YAML 1.2
 * core schema does. It returns undefined for anything else — anchors, tags,
 * block scalars (`|`, `>`), multi-line plain scalars, tabs, errors — and the
 * caller then uses the full `yaml` parser, which also words the errors. The
 * full parser costs ~0.1 ms per workflow step (≈100 ms cold for 1000 steps);
 * this one a small fraction of that. Its output must equal the full
 * parser's, offsets included (test/workflow/fast-yaml.test.ts checks both on
 * the same texts).
 */
import type { YMap, YNode, YPair, YScalar, YSeq } from './yaml-nodes.js';

class Bail extends Error {}
const bail = (): never => {
  throw new Bail();
};

interface Line {
  readonly start: number;
  /** Offset of the first non-space character. */
  readonly content: number;
  /** Offset of the line break (or the end of the text). */
  readonly end: number;
}

export function parseFast(text: string): YNode | undefined {
  if (text.includes('\t') || text.includes('\r') || text.charCodeAt(0) === 0xfeff) return undefined;
  try {
    return new FastParser(text).document();
  } catch (e) {
    if (e instanceof Bail) return undefined;
    throw e;
  }
}

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

function plainScalar(raw: string, offset: number): YScalar {
  const value = resolvePlain(raw);
  return typeof value === 'number' || typeof value === 'boolean' ? { kind: 'scalar', value, offset, source: raw } : { kind: 'scalar', value, offset };
}

/**
 * Duplicate-key detection (duplicates go to the full parser, which reports
 * them): a linear scan while a map is small, a Set once it is large.
 */
class KeySet {
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

const FLOW_END = new Set([',', ']', '}', '[', '{']);
/** Characters that may end a plain scalar in flow context (used with lastIndex; not reentrant). */
const FLOW_SPECIAL = /[\n,[\]{}:#]/g;

class FastParser {
  private readonly lines: Line[] = [];
  /** Index into `lines` of the line being parsed. */
  private li = 0;

  constructor(private readonly t: string) {
    let start = 0;
    while (start <= t.length) {
      let end = t.indexOf('\n', start);
      if (end < 0) end = t.length;
      let content = start;
      while (content < end && t.charCodeAt(content) === 32) content++;
      if (content < end && t[content] !== '#') this.lines.push({ start, content, end });
      start = end + 1;
    }
  }

  document(): YNode {
    const first = this.lines[0];
    if (first === undefined) return { kind: 'scalar', value: null, offset: 0 };
    const c = this.t[first.content];
    if (c === '%' || this.t.startsWith('---', first.content) || this.t.startsWith('...', first.content)) bail();
    const node = this.blockNode(first.content);
    if (this.li < this.lines.length) bail();
    return node;
  }

  private line(): Line {
    return this.lines[this.li] ?? bail();
  }

  private col(offset: number): number {
    return offset - this.line().start;
  }

  /** A block map, a block sequence or a one-line value starting at `pos` on the current line. */
  private blockNode(pos: number): YNode {
    if (this.isDash(pos)) return this.seq(pos);
    if (this.keyEnd(pos) >= 0) return this.map(pos);
    bail();
    return undefined as never;
  }

  private isDash(pos: number): boolean {
    if (this.t[pos] !== '-') return false;
    const n = this.t[pos + 1];
    return n === undefined || n === ' ' || n === '\n';
  }

  /** If a map key starts at `pos`, the offset of its ':' indicator; else -1. */
  private keyEnd(pos: number): number {
    const t = this.t;
    const end = this.line().end;
    const c = t[pos];
    if (c === '"' || c === "'") {
      const close = this.quotedEnd(pos);
      let p = close;
      while (t[p] === ' ') p++;
      return t[p] === ':' && (p + 1 >= end || t[p + 1] === ' ') ? p : -1;
    }
    if (c === '[' || c === '{' || c === '?' || c === '#' || c === undefined) return -1;
    let p = t.indexOf(':', pos);
    while (p >= 0 && p < end && !(p + 1 >= end || t.charCodeAt(p + 1) === 32)) p = t.indexOf(':', p + 1);
    if (p < 0 || p >= end) return -1;
    // A ' #' before the colon starts a comment: then there is no key.
    for (let q = pos + 1; q < p; q++) if (t.charCodeAt(q) === 35 && t.charCodeAt(q - 1) === 32) return -1;
    return p;
  }

  private map(first: number): YMap {
    const column = this.col(first);
    const pairs: YPair[] = [];
    const keys = new KeySet(pairs);
    let pos = first;
    for (;;) {
      const colon = this.keyEnd(pos);
      if (colon < 0) bail();
      const key = this.mapKey(pos, colon);
      const k = String(key.value);
      if (key.value === null || typeof key.value === 'boolean' || colon - pos > 1000 || keys.seen(k)) bail();
      let v = colon + 1;
      const line = this.line();
      while (v < line.end && this.t[v] === ' ') v++;
      let value: YNode;
      if (v >= line.end || this.t[v] === '#') {
        const next = this.lines[this.li + 1];
        if (next !== undefined && next.content - next.start > column) {
          this.li++;
          value = this.blockNode(next.content);
        } else if (next !== undefined && next.content - next.start === column && this.isDashAt(next)) {
          this.li++;
          value = this.seq(next.content);
        } else {
          value = { kind: 'scalar', value: null, offset: v };
          this.li++;
        }
      } else {
        value = this.inlineValue(v, column);
      }
      pairs.push({ key, value });
      const next = this.lines[this.li];
      if (next === undefined) break;
      const indent = next.content - next.start;
      if (indent < column) break;
      if (indent > column || this.isDashAt(next)) bail();
      pos = next.content;
    }
    return { kind: 'map', pairs, offset: first };
  }

  private isDashAt(l: Line): boolean {
    return this.t[l.content] === '-' && (l.content + 1 >= l.end || this.t[l.content + 1] === ' ');
  }

  private mapKey(pos: number, colon: number): YScalar {
    const c = this.t[pos];
    if (c === '"' || c === "'") return this.quoted(pos);
    const raw = this.t.slice(pos, colon).trimEnd();
    if ('&*!|>%@`-?:'.includes(raw[0] ?? '') && !(raw[0] === '-' && raw.length > 1 && raw[1] !== ' ')) bail();
    return plainScalar(raw, pos);
  }

  private seq(first: number): YSeq {
    const column = this.col(first);
    const items: YNode[] = [];
    let dash = first;
    for (;;) {
      const line = this.line();
      let v = dash + 1;
      while (v < line.end && this.t[v] === ' ') v++;
      let item: YNode;
      if (v >= line.end || this.t[v] === '#') {
        const next = this.lines[this.li + 1];
        if (next !== undefined && next.content - next.start > column) {
          this.li++;
          item = this.blockNode(next.content);
        } else {
          item = { kind: 'scalar', value: null, offset: v };
          this.li++;
        }
      } else if (this.isDash(v)) {
        item = this.seq(v);
      } else if (this.keyEnd(v) >= 0) {
        item = this.map(v);
      } else {
        item = this.inlineValue(v, column);
      }
      items.push(item);
      const next = this.lines[this.li];
      if (next === undefined) break;
      const indent = next.content - next.start;
      if (indent < column) break;
      if (indent > column || !this.isDashAt(next)) bail();
      dash = next.content;
    }
    return { kind: 'seq', items, offset: first };
  }

  /** A value on the current line after `key: ` or `- `; consumes the rest of its line(s). */
  private inlineValue(pos: number, column: number): YNode {
    const t = this.t;
    const c = t[pos] ?? '';
    let node: YNode;
    let after: number;
    if (c === '[' || c === '{') {
      const r = this.flow(pos, column);
      node = r.node;
      after = r.end;
    } else if (c === '"' || c === "'") {
      node = this.quoted(pos);
      after = this.quotedEnd(pos);
    } else {
      if ('&*!|>%@`?:,]}'.includes(c) || (c === '-' && this.isDash(pos))) bail();
      const end = this.line().end;
      let p = t.slice(pos, end).indexOf(' #');
      p = p < 0 ? end : pos + p + 1;
      const raw = t.slice(pos, p).trimEnd();
      if (raw.includes(': ') || raw.endsWith(':')) bail();
      node = plainScalar(raw, pos);
      after = p;
    }
    // The rest of the line must be blank or a comment.
    const line = this.line();
    let p = after;
    while (p < line.end && t[p] === ' ') p++;
    if (p < line.end && !(t[p] === '#' && t[p - 1] === ' ')) bail();
    this.li++;
    return node;
  }

  /** Offset just past the closing quote of a quoted scalar on the current line. */
  private quotedEnd(pos: number): number {
    const t = this.t;
    const q = t[pos];
    const end = this.line().end;
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

  private quoted(pos: number): YScalar {
    const t = this.t;
    const close = this.quotedEnd(pos) - 1;
    const body = t.slice(pos + 1, close);
    if (t[pos] === "'") return { kind: 'scalar', value: body.replaceAll("''", "'"), offset: pos };
    if (!body.includes('\\')) return { kind: 'scalar', value: body, offset: pos };
    const ESC: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', '0': '\0', ' ': ' ' };
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

  /** Skips spaces, line breaks and comments inside a flow collection; continuation lines must be indented past `column`. */
  private skipFlowSpace(p: number, column: number): number {
    const t = this.t;
    for (;;) {
      const ch = t[p];
      if (ch === ' ') p++;
      else if (ch === '#' && (t[p - 1] === ' ' || t[p - 1] === '\n')) {
        while (p < t.length && t[p] !== '\n') p++;
      } else if (ch === '\n') {
        p++;
        let q = p;
        while (t[q] === ' ') q++;
        if (t[q] !== '\n' && t[q] !== '#' && q - p <= column) bail();
      } else return p;
    }
  }

  /** A flow collection at `pos`; returns it and the offset just past its closing bracket. */
  private flow(pos: number, column: number): { node: YNode; end: number } {
    const t = this.t;
    const close = t[pos] === '[' ? ']' : '}';
    const items: YNode[] = [];
    const pairs: YPair[] = [];
    const keys = new KeySet(pairs);
    let p = this.skipFlowSpace(pos + 1, column);
    while (t[p] !== close) {
      if (close === ']') {
        const r = this.flowItem(p, column);
        items.push(r.node);
        p = this.skipFlowSpace(r.end, column);
        if (t[p] === ':') bail();
      } else {
        const k = this.flowItem(p, column);
        if (k.node.kind !== 'scalar' || k.node.value === null || typeof k.node.value === 'boolean') bail();
        const key = k.node as YScalar;
        const name = String(key.value);
        if (keys.seen(name)) bail();
        p = this.skipFlowSpace(k.end, column);
        if (t[p] !== ':') bail();
        p = this.skipFlowSpace(p + 1, column);
        if (t[p] === ',' || t[p] === '}') {
          pairs.push({ key, value: { kind: 'scalar', value: null, offset: p } });
        } else {
          const v = this.flowItem(p, column);
          pairs.push({ key, value: v.node });
          p = this.skipFlowSpace(v.end, column);
        }
      }
      if (t[p] === ',') p = this.skipFlowSpace(p + 1, column);
      else if (t[p] !== close) bail();
    }
    // Move the line cursor to the line holding the closing bracket.
    while (this.line().end < p) this.li++;
    const node: YNode = close === ']' ? { kind: 'seq', items, offset: pos } : { kind: 'map', pairs, offset: pos };
    return { node, end: p + 1 };
  }

  private flowItem(p: number, column: number): { node: YNode; end: number } {
    const t = this.t;
    const c = t[p] ?? '';
    if (c === '[' || c === '{') return this.flow(p, column);
    if (c === '"' || c === "'") {
      while (this.line().end < p) this.li++;
      return { node: this.quoted(p), end: this.quotedEnd(p) };
    }
    if (c === '' || '&*!|>%@`?#,]}'.includes(c) || (c === '-' && (t[p + 1] === ' ' || t[p + 1] === '\n')) || (c === ':' && ' \n,[]{}'.includes(t[p + 1] ?? ''))) bail();
    let q = p;
    const special = FLOW_SPECIAL;
    for (;;) {
      special.lastIndex = q;
      const m = special.exec(t);
      if (m === null) {
        q = t.length;
        break;
      }
      q = m.index;
      const ch = t[q];
      if (ch === ':' && !' \n,[]{}'.includes(t[q + 1] ?? '\n')) q++;
      else if (ch === '#' && t[q - 1] !== ' ') q++;
      else break;
    }
    const raw = t.slice(p, q).trimEnd();
    if (t[q] === '\n' || (t[q] === '#' && raw !== '')) {
      // A plain scalar may continue on the next line in flow context: leave that to the full parser.
      const r = this.skipFlowSpace(q, column);
      if (!FLOW_END.has(t[r] ?? '') && t[r] !== ':') bail();
    }
    return { node: plainScalar(raw, p), end: p + raw.length };
  }
}
