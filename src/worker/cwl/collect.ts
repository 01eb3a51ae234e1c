/**
 * A CommandLineTool's outputs (CWL v1.2 § "CommandOutputBinding"):
 * `cwl.output.json` when the tool wrote one, otherwise each output's glob
 * (confined to the output directory, symlinks included), loadContents,
 * outputEval, secondaryFiles and format.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CwlParam, CwlType } from '../../workflow/cwl/model.js';
import { evaluate, type Evaluator } from '../../workflow/cwl/expr/evaluate.js';
import { globIn } from '../executor/glob.js';
import { attachSecondaries, completeFile, CwlRunError, describeType, isObj, listDirectory, loadContents, matches, pathOf, type Obj } from './values.js';

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The matches of one glob pattern, as File/Directory objects, refusing what resolves outside `outdir` (or the step's inputs). */
function globFiles(outdir: string, pattern: string, allowed: ReadonlySet<string>, where: string): Obj[] {
  let rel = pattern;
  if (path.isAbsolute(rel)) {
    if (!inside(outdir, rel)) throw new CwlRunError(`${where}: glob '${pattern}' is outside the output directory`);
    rel = path.relative(outdir, rel) || '.';
  }
  const found = rel === '.' || rel === './' ? ['.'] : globIn(outdir, rel);
  return found.map((r) => {
    const p = path.join(outdir, r);
    const real = fs.realpathSync(p);
    const realOut = fs.realpathSync(outdir);
    if (!inside(realOut, real) && ![...allowed].some((a) => inside(a, real))) throw new CwlRunError(`${where}: output ${r} is a link to ${real}, outside the step's output directory and inputs`);
    const isDir = fs.statSync(p).isDirectory();
    return completeFile({ class: isDir ? 'Directory' : 'File', path: p }, { checksum: !isDir });
  });
}

function recordType(t: CwlType): { fields: readonly { name: string }[] } | undefined {
  for (const x of Array.isArray(t) ? t : [t]) if (isObj(x) && (x as { type?: string }).type === 'record') return x as unknown as { fields: readonly { name: string }[] };
  return undefined;
}

function expectsSingle(t: CwlType): boolean {
  const ts = Array.isArray(t) ? t : [t];
  return ts.some((x) => x === 'File' || x === 'Directory') && !ts.some((x) => isObj(x) && (x as { type?: string }).type === 'array');
}

/** Rewrites a cwl.output.json value: relative locations against `outdir`, files completed. */
function fromOutputJson(v: unknown, outdir: string): unknown {
  if (Array.isArray(v)) return v.map((x) => fromOutputJson(x, outdir));
  if (!isObj(v)) return v;
  if (v.class === 'File' || v.class === 'Directory') {
    const o: Obj = { ...v };
    const p = pathOf(o);
    if (p !== '') {
      o.path = path.isAbsolute(p) ? p : path.join(outdir, p);
      delete o.location;
    }
    if (Array.isArray(o.secondaryFiles)) o.secondaryFiles = fromOutputJson(o.secondaryFiles, outdir);
    if (Array.isArray(o.listing)) o.listing = fromOutputJson(o.listing, outdir);
    return completeFile(o, { checksum: o.class === 'File' && pathOf(o) !== '' });
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromOutputJson(x, outdir)]));
}

export function collectOutputs(outputs: readonly CwlParam[], inputs: Obj, runtime: Obj, ev: Evaluator, outdir: string, allowed: ReadonlySet<string>, where: string, loadListing: string | undefined): Obj {
  const json = path.join(outdir, 'cwl.output.json');
  if (fs.existsSync(json)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(json, 'utf8'));
    } catch (e) {
      throw new CwlRunError(`${where}: cwl.output.json is not JSON: ${(e as Error).message}`);
    }
    const o = fromOutputJson(parsed, outdir) as Obj;
    const out: Obj = {};
    for (const p of outputs) out[p.id] = o[p.id] ?? null;
    return check(outputs, out, where);
  }
  const out: Obj = {};
  for (const p of outputs) {
    const b = p.outputBinding;
    let v: unknown = null;
    const rec = recordType(p.type);
    if (!b && rec) {
      const fields = rec.fields.map((f) => ({ ...f, id: f.name }) as unknown as CwlParam);
      v = collectOutputs(fields, inputs, runtime, ev, outdir, allowed, where, loadListing);
    }
    if (b) {
      let files: Obj[] = [];
      if (b.glob !== undefined) {
        const g = evaluate(b.glob, { inputs, runtime, self: null }, ev);
        const patterns = (Array.isArray(g) ? g : [g]).filter((x) => x !== null).map(String);
        for (const pat of patterns) files.push(...globFiles(outdir, pat, allowed, `${where}: output '${p.id}'`));
        const seen = new Set<string>();
        files = files.filter((f) => !seen.has(pathOf(f)) && (seen.add(pathOf(f)), true));
      }
      for (const f of files) {
        if (f.class === 'File' && (b.loadContents || p.loadContents)) loadContents(f);
        const mode = b.loadListing ?? p.loadListing ?? loadListing;
        if (f.class === 'Directory' && (mode === 'shallow_listing' || mode === 'deep_listing')) listDirectory(f, mode === 'deep_listing');
      }
      v = files;
      if (b.outputEval !== undefined) v = evaluate(b.outputEval, { inputs, runtime, self: files }, ev);
      else if (expectsSingle(p.type)) v = files.length === 0 ? null : files.length === 1 ? files[0] : files;
    }
    out[p.id] = v;
  }
  // secondaryFiles and format of File outputs.
  for (const p of outputs) {
    const each = (v: unknown): void => {
      if (Array.isArray(v)) return v.forEach(each);
      if (!isObj(v) || v.class !== 'File') return;
      if (pathOf(v) !== '' && !path.isAbsolute(pathOf(v))) v.path = path.join(outdir, pathOf(v));
      completeFile(v, { checksum: true });
      if (p.secondaryFiles) attachSecondaries(v, p.secondaryFiles, ev, inputs, `${where}: output '${p.id}'`, true, false);
      if (p.format !== undefined) v.format = evaluate(p.format, { inputs, runtime, self: v }, ev);
    };
    each(out[p.id]);
  }
  return check(outputs, out, where);
}

function check(outputs: readonly CwlParam[], out: Obj, where: string): Obj {
  for (const p of outputs) {
    if (!matches(p.type, out[p.id] ?? null)) {
      throw new CwlRunError(`${where}: output '${p.id}' must be ${describeType(p.type)}, got ${JSON.stringify(out[p.id] ?? null).slice(0, 120)}`);
    }
  }
  return out;
}
