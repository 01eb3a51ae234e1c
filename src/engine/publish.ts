/**
 * Puts a run's workflow outputs where the user asked (`--out DIR`, default
 * `<run>/outputs/`): a file output `counts` becomes `DIR/counts.<ext>` (in an
 * encrypted run an age file, `DIR/counts.<ext>.age`), an array of files
 * `DIR/counts/<i>-<name>`, a directory `DIR/<id>/` (in an encrypted run, the
 * age file of its tar stream: `DIR/<id>.tar.age`). Files are
 * hard-linked from the run directory when possible, copied otherwise.
 * `DIR/outputs.json` holds every value with the published paths.
 *
 * Publishing is staged: everything is first placed in a staging directory
 * inside DIR (`stageOutputs`), the receipt is written there too, and only
 * `commit` — once the receipt is signed — renames them into place, the
 * receipt last. A run (or resume) that fails before that leaves the previous
 * outputs, `outputs.json` and receipt as they were.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PortValue } from '../workflow/model.js';
import { RECEIPT_FILE } from '../master/receipt/model.js';

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

/** Publishes `outputs` into `out` at once (no receipt); returns the values with their published paths. */
export function publishOutputs(outputs: Readonly<Record<string, PortValue>>, out: string): Record<string, PortValue> {
  const staged = stageOutputs(outputs, out);
  staged.commit();
  return staged.published;
}

/** A publication not yet in place: files under `dir`, moved into the output directory by `commit`. */
export interface StagedOutputs {
  /** The staging directory (inside the output directory): write the receipt here. */
  readonly dir: string;
  /** The values with the paths they get once committed (what outputs.json holds). */
  readonly published: Record<string, PortValue>;
  /** The same values with their paths in the staging directory (what the receipt hashes). */
  readonly staged: Record<string, PortValue>;
  /** Renames every staged entry into the output directory, `receipt.json` (if staged) last. */
  commit(): void;
  /** Removes the staging directory; the output directory is left as it was. */
  discard(): void;
}

export function stageOutputs(outputs: Readonly<Record<string, PortValue>>, out: string): StagedOutputs {
  const finalDir = path.resolve(out);
  fs.mkdirSync(finalDir, { recursive: true });
  const dir = fs.mkdtempSync(path.join(finalDir, '.publishing-'));
  const staged = placeAll(outputs, dir);
  const toFinal = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(toFinal);
    const o = v as { class?: unknown; path?: unknown };
    if ((o.class === 'File' || o.class === 'Directory') && typeof o.path === 'string') return { ...(v as object), path: path.join(finalDir, path.relative(dir, o.path)) };
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toFinal(x)]));
  };
  const published = Object.fromEntries(Object.entries(staged).map(([k, v]) => [k, toFinal(v) as PortValue]));
  fs.writeFileSync(path.join(dir, 'outputs.json'), `${JSON.stringify(published, null, 2)}\n`);
  return {
    dir,
    published,
    staged,
    commit() {
      const names = fs.readdirSync(dir).sort((a, b) => Number(a === RECEIPT_FILE) - Number(b === RECEIPT_FILE));
      for (const name of names) {
        const dest = path.join(finalDir, name);
        // rename(2) replaces a file atomically; a directory in the way is removed first.
        if (fs.lstatSync(path.join(dir, name)).isDirectory() || (fs.existsSync(dest) && fs.lstatSync(dest).isDirectory())) fs.rmSync(dest, { recursive: true, force: true });
        fs.renameSync(path.join(dir, name), dest);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
    discard() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Places every file and directory of `outputs` under `outDir`; returns the values with their new paths. */
function placeAll(outputs: Readonly<Record<string, PortValue>>, outDir: string): Record<string, PortValue> {
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
    // Files inside records (CWL record outputs, a CWL file with its secondary files) go under the field's name.
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, pub(x as PortValue, (b) => path.join(dir, `${k}-${b}`), path.join(dir, k))])) as PortValue;
  };
  for (const [id, v] of Object.entries(outputs)) {
    const isDir = typeof v === 'object' && v !== null && (v as { class?: unknown }).class === 'Directory';
    published[id] = pub(v, (b) => path.join(outDir, isDir ? (b.endsWith('.tar.age') ? `${id}.tar.age` : id) : `${id}${extOf(b)}`), path.join(outDir, id));
  }
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
