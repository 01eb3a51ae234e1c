/** Walking test trees: every file below a directory (leak checks), the files holding a canary, and a content snapshot of a tree. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Files under `dirs` (recursively; a file or a directory each) whose bytes contain `needle`; what is removed during the walk is passed over. */
export function filesContaining(dirs: readonly string[], needle: string): string[] {
  const hits: string[] = [];
  const walk = (p: string) => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return; // removed while scanning
    }
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    else if (st.isFile() && fs.readFileSync(p).includes(needle)) hits.push(p);
  };
  for (const d of dirs) walk(d);
  return hits;
}

/** Relative path -> 'dir' or the file's bytes (hex SHA-256) and owner-execute bit. */
export function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      const abs = path.join(root, r);
      if (e.isDirectory()) {
        out[r] = 'dir';
        walk(r);
      } else out[r] = `${createHash('sha256').update(fs.readFileSync(abs)).digest('hex')} x=${(fs.statSync(abs).mode & 0o100) !== 0}`;
    }
  };
  walk('');
  return out;
}
