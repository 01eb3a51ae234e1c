/**
 * Port type spellings (`file`, `number[]`, `string?`) and the value checks
 * that go with them. The same spelling is used in flow.yaml and in
 * `defineTask({ inputs, outputs })`.
 */
import type { BaseType, PortType, PortValue } from './model.js';
import { arrayOf, formatType } from './model.js';
import { didYouMean } from '../suggest.js';

export const BASE_TYPES: readonly BaseType[] = ['file', 'directory', 'string', 'number', 'boolean', 'json'];

export interface TypeSpec {
  readonly type: PortType;
  readonly optional: boolean;
}

/** Parses `T`, `T[]`, `T[][]`, `T?`; returns a message (what is wrong and what is valid) on failure. */
export function parseTypeSpec(spec: string): TypeSpec | string {
  // Read piece by piece, not with one regular expression: `\s*` next to
  // optional groups backtracks polynomially on long runs of spaces.
  const s = spec.trim();
  const base = /^[A-Za-z_-]+/.exec(s)?.[0];
  let rest = s.slice(base?.length ?? 0).trimStart();
  let depth = 0;
  while (rest.startsWith('[]')) {
    depth++;
    rest = rest.slice(2);
  }
  rest = rest.trimStart();
  const optional = rest === '?';
  if (base === undefined || (rest !== '' && !optional)) {
    return `'${spec.length > 80 ? `${spec.slice(0, 80)}…` : spec}' is not a type; write a base type (${BASE_TYPES.join(', ')}), optionally followed by [] for an array and ? for optional`;
  }
  if (!(BASE_TYPES as readonly string[]).includes(base)) {
    return `unknown type '${base}'${didYouMean(base, BASE_TYPES) || '.'} Types are ${BASE_TYPES.join(', ')}, with [] for arrays and ? for optional`;
  }
  let type: PortType = { kind: base as BaseType };
  for (; depth > 0; depth--) type = arrayOf(type);
  return { type, optional };
}

export function formatSpec(t: TypeSpec): string {
  return `${formatType(t.type)}${t.optional ? '?' : ''}`;
}

export function isFileLike(t: PortType): boolean {
  return t.kind === 'file' || t.kind === 'directory';
}

/** The innermost base type of a (possibly nested) array type. */
export function baseOf(t: PortType): BaseType {
  return t.kind === 'array' ? baseOf(t.items) : t.kind;
}

/** The type of a plain (YAML/JSON) value, for inferring an input's type from its default. */
export function typeOfValue(v: PortValue): PortType {
  if (typeof v === 'string') return { kind: 'string' };
  if (typeof v === 'number') return { kind: 'number' };
  if (typeof v === 'boolean') return { kind: 'boolean' };
  if (Array.isArray(v) && v.length > 0) {
    const first = typeOfValue(v[0] as PortValue);
    if (v.every((x) => formatType(typeOfValue(x as PortValue)) === formatType(first))) return arrayOf(first);
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const cls = (v as { class?: unknown }).class;
    if (cls === 'File') return { kind: 'file' };
    if (cls === 'Directory') return { kind: 'directory' };
  }
  return { kind: 'json' };
}

/** Bytes from `512MiB`, `2GB`, `1.5 GiB`, `1000` (decimal units ×1000, binary ×1024). */
export function parseMemory(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v > 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  // No `\s*` beside optional groups in one expression: that backtracks polynomially on long runs of spaces.
  const s = v.trim();
  const num = /^\d+(?:\.\d+)?/.exec(s)?.[0];
  if (num === undefined) return undefined;
  const unitText = s.slice(num.length).trimStart();
  if (unitText !== '' && !/^(?:B|[KMGT]i?B)$/.test(unitText)) return undefined;
  const m = [s, num, unitText === '' ? undefined : unitText] as const;
  const unit = m[2] ?? 'B';
  const power = ' KMGT'.indexOf(unit[0] === 'B' ? ' ' : (unit[0] ?? ' '));
  const base = unit.includes('i') ? 1024 : 1000;
  const bytes = Math.round(Number(m[1]) * base ** power);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}
