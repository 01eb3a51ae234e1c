/**
 * Puts a run's workflow outputs where the user asked (`--out DIR`, default
 * `<run>/outputs/`): a file output `counts` becomes `DIR/counts.<ext>` (in an
 * encrypted run an age file, `DIR/counts.<ext>.age`), an array of files
 * `DIR/counts/<i>-<name>`, a directory `DIR/<id>/` (in an encrypted run, the
 * age file of its tar stream: `DIR/<id>.tar.age`). Files are
 * hard-linked from the run directory when possible, copied otherwise.
 * `DIR/outputs.json` holds every value with the published paths.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PortValue } from '../workflow/model.js';

/** The extension a published file keeps: `.tsv` of `counts.tsv`, `.tsv.age` of the age file `counts.tsv.age`. */
function extOf(name: string): string {
  return name.endsWith('.age') ? `${path.extname(name.slice(0, -'.age'.length))}.age` : path.extname(name);
}

function place(src: string, dest: string, isDir: boolean): void {
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  if (isDir) {
    fs.cpSync(src, dest, { recursive: true });
    return;
  }
  try {
    fs.linkSync(src, dest);
  } catch {
    fs.copyFileSync(src, dest);
  }
}

export function publishOutputs(outputs: Readonly<Record<string, PortValue>>, out: string): Record<string, PortValue> {
  const outDir = path.resolve(out);
  fs.mkdirSync(outDir, { recursive: true });
  const published: Record<string, PortValue> = {};
  /** `target(basename)` says where a file or directory found at this position goes; `dir` is where array elements go. */
  const pub = (v: PortValue, target: (basename: string) => string, dir: string): PortValue => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v))
      return (v as readonly PortValue[]).map((x, i) => pub(x, (b) => path.join(dir, `${i}-${b}`), path.join(dir, String(i))));
    const o = v as { class?: unknown; path?: unknown };
    if ((o.class === 'File' || o.class === 'Directory') && typeof o.path === 'string') {
      // A sealed directory (encrypted runs, docs/protocol.md §10.1) is one age file of its tar stream: `<name>.tar.age`.
      const sealedDir = o.class === 'Directory' && typeof (v as { sha256?: unknown }).sha256 === 'string';
      const name = path.basename(o.path);
      const dest = target(sealedDir && !name.endsWith('.tar.age') ? `${name}.tar.age` : name);
      place(o.path, dest, o.class === 'Directory' && !sealedDir);
      return { ...(v as object), path: dest } as PortValue;
    }
    return v;
  };
  for (const [id, v] of Object.entries(outputs)) {
    const isDir = typeof v === 'object' && v !== null && (v as { class?: unknown }).class === 'Directory';
    published[id] = pub(v, (b) => path.join(outDir, isDir ? (b.endsWith('.tar.age') ? `${id}.tar.age` : id) : `${id}${extOf(b)}`), path.join(outDir, id));
  }
  fs.writeFileSync(path.join(outDir, 'outputs.json'), `${JSON.stringify(published, null, 2)}\n`);
  return published;
}

/** One line per output for the terminal: files and directories by path, other values as JSON. */
export function formatOutputs(values: Readonly<Record<string, PortValue>>, cwd = process.cwd()): string[] {
  const show = (v: PortValue): string => {
    if (v === null || typeof v !== 'object') return JSON.stringify(v);
    if (Array.isArray(v)) return `[${(v as readonly PortValue[]).map(show).join(', ')}]`;
    const o = v as { class?: unknown; path?: unknown };
    if (o.class === 'Sealed') return '(sealed value: decrypt it with the owner identity)';
    if ((o.class === 'File' || o.class === 'Directory') && typeof o.path === 'string') {
      const rel = path.relative(cwd, o.path);
      return rel.startsWith('..') ? o.path : rel;
    }
    return JSON.stringify(v);
  };
  return Object.entries(values).map(([id, v]) => `  ${id}: ${show(v)}`);
}
