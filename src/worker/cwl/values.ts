/**
 * CWL values on the worker: type matching (unions, records, enums, arrays),
 * job inputs checked and completed with defaults, File and Directory objects
 * completed (`basename`, `nameroot`, `nameext`, `dirname`, `size`,
 * `checksum`, `contents`, `listing`), secondaryFiles found by pattern.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CwlParam, CwlSecondary, CwlType } from '../../workflow/cwl/model.js';
import { evaluate, needsJavaScript, type Evaluator } from '../../workflow/cwl/expr/evaluate.js';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A step or tool failed permanently (CWL permanentFail): the message says what and where. */
export class CwlRunError extends Error {
  override readonly name = 'CwlRunError';
}

/** Whether `v` is a value of type `t`. */
export function matches(t: CwlType, v: unknown): boolean {
  if (Array.isArray(t)) return t.some((x) => matches(x, v));
  if (typeof t === 'string') {
    switch (t) {
      case 'null':
        return v === null || v === undefined;
      case 'Any':
        return v !== null && v !== undefined;
      case 'boolean':
        return typeof v === 'boolean';
      case 'int':
      case 'long':
        return typeof v === 'number' && Number.isInteger(v);
      case 'float':
      case 'double':
        return typeof v === 'number';
      case 'string':
        return typeof v === 'string';
      case 'File':
      case 'Directory':
        return isObj(v) && v.class === t;
      default:
        return false;
    }
  }
  const o = t as { type: string; items?: CwlType; fields?: readonly { name: string; type: CwlType }[]; symbols?: readonly string[] };
  if (o.type === 'array') return Array.isArray(v) && v.every((x) => matches(o.items!, x));
  if (o.type === 'enum') return typeof v === 'string' && (o.symbols ?? []).some((s) => s === v || s.endsWith(`/${v}`));
  if (o.type === 'record') return isObj(v) && (o.fields ?? []).every((f) => matches(f.type, v[f.name] ?? null));
  return false;
}

/** The member of a union that `v` matches (the type itself when it is not a union). */
export function pick(t: CwlType, v: unknown): CwlType | undefined {
  if (!Array.isArray(t)) return matches(t, v) ? t : undefined;
  for (const x of t as readonly CwlType[]) if (matches(x, v)) return Array.isArray(x) ? pick(x, v) : x;
  return undefined;
}

export function describeType(t: CwlType): string {
  if (Array.isArray(t)) return t.map(describeType).join(' | ');
  if (typeof t === 'string') return t;
  const o = t as { type: string; items?: CwlType; name?: string };
  return o.name ?? (o.type === 'array' ? `${describeType(o.items!)}[]` : o.type);
}

const sha1 = (file: string): string => crypto.createHash('sha1').update(fs.readFileSync(file)).digest('hex');

/** The local path of a File/Directory object. */
export function pathOf(f: Obj): string {
  if (typeof f.path === 'string') return f.path;
  if (typeof f.location === 'string') return f.location.startsWith('file://') ? decodeURIComponent(f.location.slice(7)) : f.location;
  return '';
}

/** Completes a File or Directory object in place (recursively into secondaryFiles and listings). */
export function completeFile(f: Obj, opts: { checksum?: boolean } = {}): Obj {
  const p = pathOf(f);
  if (p === '' && f.class === 'File' && typeof f.contents === 'string') return f; // a literal, materialised when staged
  if (p === '' && f.class === 'Directory' && Array.isArray(f.listing)) {
    f.listing = (f.listing as Obj[]).map((x) => completeFile(x, opts));
    return f;
  }
  f.path = p;
  f.location = `file://${p}`;
  f.basename ??= path.basename(p);
  f.dirname = path.dirname(p);
  if (f.class === 'File') {
    const b = String(f.basename);
    const dot = b.lastIndexOf('.');
    f.nameroot = dot > 0 ? b.slice(0, dot) : b;
    f.nameext = dot > 0 ? b.slice(dot) : '';
    if (fs.existsSync(p)) {
      f.size = fs.statSync(p).size;
      if (opts.checksum) f.checksum = `sha1$${sha1(p)}`;
    }
    if (Array.isArray(f.secondaryFiles)) f.secondaryFiles = (f.secondaryFiles as Obj[]).map((x) => completeFile(x, opts));
  }
  return f;
}

/** Reads at most 64 KiB of a file (CWL loadContents), refusing larger ones. */
export function loadContents(f: Obj): void {
  const p = pathOf(f);
  const size = fs.statSync(p).size;
  if (size > 64 * 1024) throw new CwlRunError(`loadContents: ${String(f.basename ?? p)} is ${size} bytes; CWL allows at most 64 KiB`);
  f.contents = fs.readFileSync(p, 'utf8');
}

/** Fills `listing` of a Directory (`shallow_listing` / `deep_listing`). */
export function listDirectory(d: Obj, deep: boolean): void {
  const p = pathOf(d);
  if (p === '' || !fs.existsSync(p)) return;
  d.listing = fs
    .readdirSync(p, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((e) => {
      const full = path.join(p, e.name);
      const isDir = e.isDirectory() || (e.isSymbolicLink() && fs.statSync(full).isDirectory());
      const o = completeFile({ class: isDir ? 'Directory' : 'File', path: full });
      if (isDir && deep) listDirectory(o, true);
      return o;
    });
}

/** The name a secondaryFiles pattern gives for a primary's basename (`^` strips one extension each). */
export function secondaryName(primary: string, pattern: string): string {
  let base = primary;
  let p = pattern;
  while (p.startsWith('^')) {
    const dot = base.lastIndexOf('.');
    if (dot > 0) base = base.slice(0, dot);
    p = p.slice(1);
  }
  return base + p;
}

/** Finds the secondary files of `f` beside it (inputs and outputs); `required` ones that are missing are an error. */
export function attachSecondaries(f: Obj, specs: readonly CwlSecondary[], ev: Evaluator, inputs: unknown, what: string, discover = true, requiredByDefault = true): void {
  const attached = (f.secondaryFiles as Obj[] | undefined) ?? [];
  const have = new Set(attached.map((s) => pathOf(s)));
  // Already attached under the expected name (e.g. decrypted into its own directory on an attested worker).
  for (const s of attached) have.add(path.join(path.dirname(pathOf(f)), String(s.basename ?? path.basename(pathOf(s)))));
  const list: Obj[] = [...((f.secondaryFiles as Obj[] | undefined) ?? [])];
  const dir = path.dirname(pathOf(f));
  for (const s of specs) {
    // On the master (sealed runs) a pattern that needs JavaScript is the worker's to evaluate, in its sandbox.
    if (ev.deferJavaScript && !ev.js && (needsJavaScript(s.pattern) || needsJavaScript(s.required))) continue;
    const required = s.required === undefined ? requiredByDefault : typeof s.required === 'boolean' ? s.required : Boolean(evaluate(s.required, { inputs, self: f }, ev));
    const r = s.pattern.includes('$(') || s.pattern.includes('${') ? evaluate(s.pattern, { inputs, self: f }, ev) : secondaryName(String(f.basename ?? path.basename(pathOf(f))), s.pattern);
    const names: unknown[] = Array.isArray(r) ? r : [r];
    for (const n of names) {
      if (n === null || n === undefined) continue;
      const o: Obj = isObj(n) ? { ...n } : { class: 'File', path: path.join(dir, String(n)) };
      if (!isObj(n) && typeof n === 'string' && !s.pattern.includes('$(') && !s.pattern.includes('${')) o.path = path.join(dir, n);
      if (isObj(n) && o.path === undefined && typeof o.location === 'string') o.path = path.isAbsolute(pathOf(o)) ? pathOf(o) : path.join(dir, pathOf(o));
      const p = pathOf(o);
      if (have.has(p)) continue;
      if (!discover || !fs.existsSync(p)) {
        if (required) throw new CwlRunError(`${what}: missing secondary file ${path.basename(p)} (pattern ${s.pattern}) beside ${String(f.basename)}`);
        continue;
      }
      if (fs.statSync(p).isDirectory()) o.class = 'Directory';
      list.push(completeFile(o));
      have.add(p);
    }
  }
  if (list.length > 0 || specs.length > 0) f.secondaryFiles = list;
}

/**
 * Checks the job's values against the process's inputs, applies defaults,
 * completes files and loads contents / listings as the inputs ask.
 */
export function fillInputs(params: readonly CwlParam[], job: Obj, ev: Evaluator, where: string, loadListing: string | undefined, discover = true): Obj {
  const out: Obj = {};
  for (const p of params) {
    let v = job[p.id];
    if (v === undefined || v === null) v = p.default === undefined ? null : structuredClone(p.default);
    if (!matches(p.type, v)) {
      throw new CwlRunError(`${where}: input '${p.id}' must be ${describeType(p.type)}, got ${v === null ? 'null (missing)' : JSON.stringify(v).slice(0, 80)}`);
    }
    out[p.id] = v;
  }
  type Spec = { loadContents?: boolean; loadListing?: string; secondaryFiles?: readonly CwlSecondary[] };
  const visit = (v: unknown, t: CwlType, p: Spec, name: string): void => {
    const tt = pick(t, v) ?? t;
    if (Array.isArray(v)) {
      const items = isObj(tt) && (tt as { type?: string }).type === 'array' ? (tt as { items: CwlType }).items : 'Any';
      return v.forEach((x) => visit(x, items, p, name));
    }
    if (!isObj(v)) return;
    if (v.class === 'File' || v.class === 'Directory') {
      completeFile(v);
      if (v.class === 'File' && p.loadContents) loadContents(v);
      if (v.class === 'File' && p.secondaryFiles) attachSecondaries(v, p.secondaryFiles, ev, out, `${where}: input '${name}'`, discover);
      if (v.class === 'Directory') {
        const mode = p.loadListing ?? loadListing;
        if (mode === 'shallow_listing' || mode === 'deep_listing') listDirectory(v, mode === 'deep_listing');
        else if (!Array.isArray(v.listing) || pathOf(v) !== '') delete v.listing;
      }
      return;
    }
    const fields = isObj(tt) && (tt as { type?: string }).type === 'record' ? (tt as { fields: readonly (Spec & { name: string; type: CwlType })[] }).fields : undefined;
    if (fields) for (const f of fields) visit(v[f.name] ?? null, f.type, f, `${name}.${f.name}`);
    else for (const x of Object.values(v)) visit(x, 'Any', {}, name);
  };
  for (const p of params) visit(out[p.id], p.type, { ...p, ...(p.inputBinding?.loadContents ? { loadContents: true } : {}) } as Spec, p.id);
  return out;
}

/** Expands `prefix:name` formats of the job's files with the document's `$namespaces`. */
export function expandFormats(v: unknown, ns: Readonly<Record<string, string>> | undefined): unknown {
  if (!ns) return v;
  if (Array.isArray(v)) return v.map((x) => expandFormats(x, ns));
  if (!isObj(v)) return v;
  const o: Obj = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expandFormats(x, ns)]));
  if (typeof o.format === 'string') {
    const m = /^([A-Za-z0-9_]+):(.*)$/.exec(o.format);
    if (m && ns[m[1]!] !== undefined) o.format = `${ns[m[1]!]}${m[2]}`;
  }
  return o;
}
