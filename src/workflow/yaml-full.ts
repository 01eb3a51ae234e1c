/**
 * The full YAML parser (the `yaml` package), for files outside the fast
 * subset and for wording syntax errors. Imported on demand by yaml-source.ts.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import { UnsupportedYaml } from './yaml-nodes.js';
import type { YNode, YPair } from './yaml-nodes.js';

export function parseFull(text: string): { node: YNode } | { error: string; offset: number } {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const msg = first.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? first.message;
    return { error: msg, offset: first.pos[0] };
  }
  return { node: fromDocument(doc) };
}

const MAX_ALIAS_EXPANSIONS = 1000;

/** Converts a parsed `yaml` document (aliases expanded, at most 1000 times). */
export function fromDocument(doc: Document): YNode {
  let expansions = 0;
  const convert = (node: unknown, fallbackOffset: number, depth: number): YNode => {
    if (depth > 200) throw new UnsupportedYaml('the YAML nests deeper than 200 levels (an alias that refers to itself?)', fallbackOffset);
    let n = node as Node | null | undefined;
    if (n !== null && n !== undefined && isAlias(n)) {
      if (++expansions > MAX_ALIAS_EXPANSIONS) throw new UnsupportedYaml('the YAML expands aliases more than 1000 times', n.range?.[0] ?? fallbackOffset);
      n = n.resolve(doc) as Node | undefined;
    }
    if (n === null || n === undefined) return { kind: 'scalar', value: null, offset: fallbackOffset };
    const offset = n.range?.[0] ?? fallbackOffset;
    if (isMap(n)) {
      const pairs: YPair[] = [];
      for (const p of n.items) {
        const k = convert(p.key, offset, depth + 1);
        if (k.kind !== 'scalar' || k.value === null || typeof k.value === 'boolean') throw new UnsupportedYaml('a map key must be a plain name', k.offset);
        const keyEnd = (p.key as Node | null)?.range?.[1] ?? k.offset;
        pairs.push({ key: k, value: convert(p.value, keyEnd + 1, depth + 1) });
      }
      return { kind: 'map', pairs, offset };
    }
    if (isSeq(n)) return { kind: 'seq', items: n.items.map((i) => convert(i, offset, depth + 1)), offset };
    if (isScalar(n)) {
      const v = n.value;
      const source = n.type === 'PLAIN' && typeof n.source === 'string' ? n.source : undefined;
      if ((typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') && source !== undefined) return { kind: 'scalar', value: typeof v === 'bigint' ? Number(v) : v, offset, source };
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { kind: 'scalar', value: v, offset };
      if (typeof v === 'bigint') return { kind: 'scalar', value: Number(v), offset };
      return { kind: 'scalar', value: String(v), offset };
    }
    throw new UnsupportedYaml('unsupported YAML node', offset);
  };
  return convert(doc.contents, 0, 0);
}
