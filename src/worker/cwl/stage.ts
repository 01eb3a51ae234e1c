/**
 * InitialWorkDirRequirement (CWL v1.2): the files, directories and literal
 * entries a tool finds in its output directory before it starts. Entry names
 * are confined to the output directory (absolute paths and `..` refused);
 * inputs are linked (or copied when `writable`), and the input objects are
 * re-pointed at their staged copies.
 */
import fs from 'node:fs';
import path from 'node:path';
import { evaluate, isLoneExpression, type Evaluator } from '../../workflow/cwl/expr/evaluate.js';
import { UnsupportedRequirementError } from '../../workflow/cwl/model.js';
import { CwlRunError, completeFile, isObj, pathOf, type Obj } from './values.js';

/** Set when DockerRequirement is in force: an absolute entry name then asks for a container (exit 33), not a mistake. */
export const containerNames = { required: false };

function confinedName(outdir: string, name: string, where: string): string {
  const p = path.resolve(outdir, name);
  const rel = path.relative(outdir, p);
  if (path.isAbsolute(name) && containerNames.required) throw new UnsupportedRequirementError(`${where}: InitialWorkDir entry name '${name}' is an absolute path inside a container; sealflow runs tools without containers`);
  if (path.isAbsolute(name) || rel.startsWith('..') || path.isAbsolute(rel)) throw new CwlRunError(`${where}: InitialWorkDir entry name '${name}' leaves the output directory; use a relative name without '..'`);
  return p;
}

function place(src: Obj, dest: string, writable: boolean, inplace: boolean): void {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  if (src.class === 'File' && pathOf(src) === '' && typeof src.contents === 'string') {
    fs.writeFileSync(dest, src.contents);
    return;
  }
  if (src.class === 'Directory' && pathOf(src) === '') {
    fs.mkdirSync(dest, { recursive: true });
    for (const e of (src.listing as Obj[] | undefined) ?? []) place(e, path.join(dest, String(e.basename)), writable, inplace);
    return;
  }
  const from = pathOf(src);
  if (writable && !inplace) fs.cpSync(from, dest, { recursive: true, dereference: true });
  else fs.symlinkSync(from, dest);
  // A file's secondary files go beside it, as the tool expects to find them.
  for (const s of (src.secondaryFiles as Obj[] | undefined) ?? []) {
    const to = path.join(path.dirname(dest), String(s.basename ?? path.basename(pathOf(s))));
    if (!fs.existsSync(to)) place(s, to, writable, inplace);
  }
}

/**
 * JSON as CWL runners write an entry that is not a string (cwltool: Python's json.dumps with sorted keys):
 * `, ` and `: ` separators, keys in order, so that the same document gives the same file.
 */
export function pythonJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pythonJson).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${pythonJson((v as Obj)[k])}`).join(', ')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Stages the listing into `outdir`; returns the map from original paths to staged ones. */
export function stageInitialWorkDir(listing: unknown, inputs: Obj, runtime: Obj, ev: Evaluator, outdir: string, where: string, inplace: boolean): Map<string, string> {
  const moved = new Map<string, string>();
  const items = evaluate(listing, { inputs, runtime }, ev);
  const list: unknown[] = Array.isArray(items) ? items.flat(2) : [items];
  for (const raw of list) {
    const item = typeof raw === 'string' ? evaluate(raw, { inputs, runtime }, ev) : raw;
    for (const it of Array.isArray(item) ? item.flat(2) : [item]) {
      if (it === null || it === undefined) continue;
      if (isObj(it) && (it.class === 'File' || it.class === 'Directory')) {
        const dest = confinedName(outdir, String(it.basename ?? path.basename(pathOf(it))), where);
        place(it, dest, false, inplace);
        if (pathOf(it) !== '') moved.set(pathOf(it), dest);
        continue;
      }
      if (!isObj(it)) throw new CwlRunError(`${where}: InitialWorkDir entry ${JSON.stringify(it).slice(0, 60)} is not a File, Directory or Dirent`);
      const name = it.entryname !== undefined ? evaluate(it.entryname, { inputs, runtime }, ev) : undefined;
      const entry = evaluate(it.entry, { inputs, runtime }, ev);
      const writable = it.writable === true;
      if (isObj(entry) && (entry.class === 'File' || entry.class === 'Directory')) {
        const dest = confinedName(outdir, String(name ?? entry.basename ?? path.basename(pathOf(entry))), where);
        place(entry, dest, writable, inplace);
        if (pathOf(entry) !== '') moved.set(pathOf(entry), dest);
        continue;
      }
      if (Array.isArray(entry) && name === undefined) {
        for (const e of entry) if (isObj(e)) place(e, confinedName(outdir, String(e.basename ?? path.basename(pathOf(e))), where), writable, inplace);
        continue;
      }
      if ((name === undefined || name === null) && (entry === null || entry === undefined)) continue;
      if (name === undefined || name === null) throw new CwlRunError(`${where}: an InitialWorkDir entry whose entry is not a File or Directory needs an entryname`);
      // A lone expression in a block scalar keeps the block's final newline after its JSON (CWL v1.2 conformance: iwd-jsondump*-nl).
      const newline = typeof it.entry === 'string' && it.entry.endsWith('\n') && isLoneExpression(it.entry) ? '\n' : '';
      const text = typeof entry === 'string' ? `${entry}${newline}` : entry === null ? '' : `${pythonJson(entry)}${newline}`;
      const dest = confinedName(outdir, String(name), where);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, text);
    }
  }
  return moved;
}

/**
 * Inputs whose basename is not their file's name (renamed by an expression or
 * the job), or whose secondary files are not beside them under their
 * basenames, are linked together into a fresh directory under those names.
 */
export function stageRenamed(v: unknown, dir: string): unknown {
  if (Array.isArray(v)) return v.map((x) => stageRenamed(x, dir));
  if (!isObj(v)) return v;
  if ((v.class === 'File' || v.class === 'Directory') && pathOf(v) !== '') {
    const home = path.dirname(pathOf(v));
    const renamed = (f: Obj) => pathOf(f) !== '' && typeof f.basename === 'string' && (f.basename !== path.basename(pathOf(f)) || path.dirname(pathOf(f)) !== home);
    const secondaries = (v.secondaryFiles as Obj[] | undefined) ?? [];
    if (!renamed(v) && !secondaries.some(renamed)) return v;
    fs.mkdirSync(dir, { recursive: true });
    const d = fs.mkdtempSync(path.join(dir, 'stg-'));
    const link = (f: Obj): Obj => {
      if (pathOf(f) === '') return f;
      const dest = confinedName(d, String(f.basename ?? path.basename(pathOf(f))), 'input');
      if (!fs.existsSync(dest)) fs.symlinkSync(pathOf(f), dest);
      return { ...f, path: dest, location: `file://${dest}`, dirname: d };
    };
    const o = link(v);
    if (secondaries.length > 0) o.secondaryFiles = secondaries.map(link);
    return o;
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stageRenamed(x, dir)]));
}

/** Re-points File/Directory objects in `v` whose path was staged. */
export function repoint(v: unknown, moved: ReadonlyMap<string, string>): unknown {
  if (moved.size === 0) return v;
  if (Array.isArray(v)) return v.map((x) => repoint(x, moved));
  if (!isObj(v)) return v;
  if ((v.class === 'File' || v.class === 'Directory') && moved.has(pathOf(v))) {
    const o: Obj = { ...v, path: moved.get(pathOf(v))!, location: `file://${moved.get(pathOf(v))!}` };
    delete o.basename;
    return completeFile(o);
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, repoint(x, moved)]));
}
