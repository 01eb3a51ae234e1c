/**
 * Flow collections (`[...]`, `{...}`) for the fast YAML parser
 * (fast-yaml.ts), also over several lines: continuation lines must be
 * indented past the column of the block node holding the collection. Like
 * the rest of the fast parser it bails (see fast-yaml-scalars.ts) on
 * anything outside the plain subset, e.g. a plain scalar continued on the
 * next line, and leaves that to the full parser.
 */
import type { YNode, YPair, YScalar } from './yaml-nodes.js';
import { bail, KeySet, plainScalar, quoted, quotedEnd } from './fast-yaml-scalars.js';

const FLOW_END = new Set([',', ']', '}', '[', '{']);
/** Characters that may end a plain scalar in flow context (used with lastIndex; not reentrant). */
const FLOW_SPECIAL = /[\n,[\]{}:#]/g;

/** Offset of the line break ending the line that holds `p` (or the end of the text). */
function lineEnd(t: string, p: number): number {
  const e = t.indexOf('\n', p);
  return e < 0 ? t.length : e;
}

/** Skips spaces, line breaks and comments inside a flow collection; continuation lines must be indented past `column`. */
function skipFlowSpace(t: string, p: number, column: number): number {
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

/**
 * The flow collection at `pos` in `t`; returns it and the offset just past
 * its closing bracket (the caller moves its line cursor to that line).
 */
export function flow(t: string, pos: number, column: number): { node: YNode; end: number } {
  const close = t[pos] === '[' ? ']' : '}';
  const items: YNode[] = [];
  const pairs: YPair[] = [];
  const keys = new KeySet(pairs);
  let p = skipFlowSpace(t, pos + 1, column);
  while (t[p] !== close) {
    if (close === ']') {
      const r = flowItem(t, p, column);
      items.push(r.node);
      p = skipFlowSpace(t, r.end, column);
      if (t[p] === ':') bail();
    } else {
      const k = flowItem(t, p, column);
      if (k.node.kind !== 'scalar' || k.node.value === null || typeof k.node.value === 'boolean') bail();
      const key = k.node as YScalar;
      const name = String(key.value);
      if (keys.seen(name)) bail();
      p = skipFlowSpace(t, k.end, column);
      if (t[p] !== ':') bail();
      p = skipFlowSpace(t, p + 1, column);
      if (t[p] === ',' || t[p] === '}') {
        pairs.push({ key, value: { kind: 'scalar', value: null, offset: p } });
      } else {
        const v = flowItem(t, p, column);
        pairs.push({ key, value: v.node });
        p = skipFlowSpace(t, v.end, column);
      }
    }
    if (t[p] === ',') p = skipFlowSpace(t, p + 1, column);
    else if (t[p] !== close) bail();
  }
  const node: YNode = close === ']' ? { kind: 'seq', items, offset: pos } : { kind: 'map', pairs, offset: pos };
  return { node, end: p + 1 };
}

function flowItem(t: string, p: number, column: number): { node: YNode; end: number } {
  const c = t[p] ?? '';
  if (c === '[' || c === '{') return flow(t, p, column);
  if (c === '"' || c === "'") {
    const end = lineEnd(t, p);
    return { node: quoted(t, p, end), end: quotedEnd(t, p, end) };
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
    const r = skipFlowSpace(t, q, column);
    if (!FLOW_END.has(t[r] ?? '') && t[r] !== ':') bail();
  }
  return { node: plainScalar(raw, p), end: p + raw.length };
}
