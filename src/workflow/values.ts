/**
 * Checking a plain value (from YAML, an inputs file or `--input`) against a
 * port type and turning file/directory paths into `{class, path}` values.
 */
import path from 'node:path';
import type { PortType, PortValue } from './model.js';
import { formatType } from './model.js';

/** Converts `raw` to a value of `type`; paths are resolved against `baseDir`. Returns a message on failure. */
export function coerceValue(raw: unknown, type: PortType, optional: boolean, baseDir: string): { value: PortValue } | { error: string } {
  if (raw === null || raw === undefined) {
    return optional ? { value: null } : { error: `expected ${formatType(type)} but got nothing (null); the port is not optional` };
  }
  switch (type.kind) {
    case 'array': {
      if (!Array.isArray(raw)) return { error: `expected a list (${formatType(type)}) but got ${kindOf(raw)}` };
      const out: PortValue[] = [];
      for (let i = 0; i < raw.length; i++) {
        const r = coerceValue(raw[i], type.items, false, baseDir);
        if ('error' in r) return { error: `element ${i}: ${r.error}` };
        out.push(r.value);
      }
      return { value: out };
    }
    case 'file':
    case 'directory': {
      const cls = type.kind === 'file' ? 'File' : 'Directory';
      let p: unknown = raw;
      if (typeof raw === 'object' && !Array.isArray(raw)) {
        const o = raw as { class?: unknown; path?: unknown };
        if (o.class !== undefined && o.class !== cls) return { error: `expected a ${type.kind} but got class '${String(o.class)}'` };
        p = o.path;
      }
      if (typeof p !== 'string' || p === '') return { error: `expected a ${type.kind} path (a string) but got ${kindOf(raw)}` };
      return { value: { class: cls, path: path.resolve(baseDir, p) } };
    }
    case 'string':
      if (typeof raw === 'string') return { value: raw };
      if (typeof raw === 'number' || typeof raw === 'boolean') return { value: String(raw) };
      return { error: `expected a string but got ${kindOf(raw)}` };
    case 'number':
      return typeof raw === 'number' && Number.isFinite(raw) ? { value: raw } : { error: `expected a number but got ${kindOf(raw)}` };
    case 'boolean':
      return typeof raw === 'boolean' ? { value: raw } : { error: `expected true or false but got ${kindOf(raw)}` };
    case 'json':
      return { value: raw as PortValue };
  }
}

export function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `the string '${v}'`;
  return `the ${typeof v} ${String(v)}`;
}

/** Every file/directory value inside `v` (for existence checks). */
export function* pathsIn(v: PortValue): Generator<{ class: 'File' | 'Directory'; path: string }> {
  if (v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    for (const x of v as readonly PortValue[]) yield* pathsIn(x);
    return;
  }
  const o = v as { class?: unknown; path?: unknown };
  if ((o.class === 'File' || o.class === 'Directory') && typeof o.path === 'string') yield { class: o.class, path: o.path };
}
