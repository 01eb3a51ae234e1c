/**
 * The runner's final outputs (CWL runner conventions): every File and
 * Directory copied into `--outdir` under its basename (a suffix when two
 * share one), with `location`, `path`, `basename`, `checksum` (sha1) and
 * `size`; directories with their listing.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `dir/name`, or `dir/<n>/name` when that is taken: the basename stays what the output says. */
function unique(dir: string, name: string, used: Set<string>): string {
  let rel = name;
  for (let i = 2; used.has(rel) || fs.existsSync(path.join(dir, rel)); i++) rel = path.join(String(i), name);
  used.add(rel);
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  return path.join(dir, rel);
}

function describe(p: string, basename: string): Obj {
  const st = fs.statSync(p);
  if (st.isDirectory()) {
    const listing = fs
      .readdirSync(p)
      .sort()
      .map((n) => describe(path.join(p, n), n));
    return { class: 'Directory', location: `file://${p}`, path: p, basename, listing };
  }
  const sha = crypto.createHash('sha1').update(fs.readFileSync(p)).digest('hex');
  return { class: 'File', location: `file://${p}`, path: p, basename, checksum: `sha1$${sha}`, size: st.size };
}

function pathOf(f: Obj): string {
  if (typeof f.path === 'string') return f.path;
  if (typeof f.location === 'string') return f.location.replace(/^file:\/\//, '');
  return '';
}

/** Copies the files of `v` into `outdir` and returns the value with their new locations (one copy per source). */
export function publishOutputs(v: unknown, outdir: string, used = new Set<string>(), done = new Map<string, Obj>()): unknown {
  if (Array.isArray(v)) return v.map((x) => publishOutputs(x, outdir, used, done));
  if (!isObj(v)) return v;
  if (v.class === 'File' || v.class === 'Directory') {
    const basename = String(v.basename ?? path.basename(pathOf(v)));
    const key = `${pathOf(v)}\u0000${basename}`;
    const again = pathOf(v) !== '' ? done.get(key) : undefined;
    if (again) return again;
    const dest = unique(outdir, basename, used);
    const src = pathOf(v);
    if (src !== '') fs.cpSync(src, dest, { recursive: true, dereference: true });
    else if (v.class === 'File') fs.writeFileSync(dest, String(v.contents ?? ''));
    else {
      fs.mkdirSync(dest, { recursive: true });
      for (const e of (v.listing as Obj[] | undefined) ?? []) publishOutputs(e, dest, new Set());
    }
    const o: Obj = { ...describe(dest, path.basename(dest)) };
    o.basename = basename;
    for (const k of ['format', 'contents'] as const) if (v[k] !== undefined && v[k] !== null) o[k] = v[k];
    if (v.class === 'File' && Array.isArray(v.secondaryFiles)) o.secondaryFiles = publishOutputs(v.secondaryFiles, outdir, used, done);
    if (pathOf(v) !== '') done.set(key, o);
    return o;
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, publishOutputs(x, outdir, used, done)]));
}
