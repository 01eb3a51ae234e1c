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
 *
 * This file holds the block structure (lines, indentation, maps, sequences);
 * scalars are in fast-yaml-scalars.ts and flow collections in fast-yaml-flow.ts.
 */
import type { YMap, YNode, YPair, YScalar, YSeq } from './yaml-nodes.js';
import { Bail, bail, KeySet, plainScalar, quoted, quotedEnd } from './fast-yaml-scalars.js';
import { flow } from './fast-yaml-flow.js';

export { resolvePlain } from './fast-yaml-scalars.js';

interface Line {
  readonly start: number;
  /** Offset of the first non-space character. */
  readonly content: number;
  /** Offset of the line break (or the end of the text). */
  readonly end: number;
}

/**
 * Characters the fast parser leaves to the full one: tabs, carriage returns,
 * other control characters, and everything JavaScript's trim() takes for
 * white space but YAML does not (`t: \x0b` is the string "\x0b" in YAML).
 */
const UNSURE = /[\x00-\x09\x0b-\x1f\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;

export function parseFast(text: string): YNode | undefined {
  if (UNSURE.test(text)) return undefined;
  try {
    return new FastParser(text).document();
  } catch (e) {
    // A stack overflow (nesting the pre-scan of yaml-depth.ts did not see) is left to the full parser's caller too.
    if (e instanceof Bail || e instanceof RangeError) return undefined;
    throw e;
  }
}

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
    // A key may not start with an indicator (`]:` and `,:` are errors); `-x` is a plain key.
    if ('&*!|>%@`-?:,[]{}#'.includes(raw[0] ?? '') && !(raw[0] === '-' && raw.length > 1 && raw[1] !== ' ')) bail();
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
    return quotedEnd(this.t, pos, this.line().end);
  }

  private quoted(pos: number): YScalar {
    return quoted(this.t, pos, this.line().end);
  }

  /** A flow collection at `pos`; returns it and the offset just past its closing bracket. */
  private flow(pos: number, column: number): { node: YNode; end: number } {
    const r = flow(this.t, pos, column);
    // Move the line cursor to the line holding the closing bracket.
    while (this.line().end < r.end - 1) this.li++;
    return r;
  }
}
