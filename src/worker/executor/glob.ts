/**
 * Output globs, relative to a scratch directory: `*`, `?` and `[...]` within a
 * path segment (no `**`). A pattern without wildcards is a plain existence
 * check (the common, fast case). Matches are returned sorted.
 */
import fs from 'node:fs';
import path from 'node:path';

const WILD = /[*?[]/;

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${seg.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Relative paths under `root` that match `pattern`. Never matches outside `root`. */
export function globIn(root: string, pattern: string): string[] {
  const norm = path.posix.normalize(pattern);
  if (path.posix.isAbsolute(norm) || norm === '..' || norm.startsWith('../')) return [];
  if (!WILD.test(norm)) return fs.existsSync(path.join(root, norm)) ? [norm] : [];
  let current = [''];
  for (const seg of norm.split('/')) {
    const next: string[] = [];
    for (const base of current) {
      if (!WILD.test(seg)) {
        const rel = base ? `${base}/${seg}` : seg;
        if (fs.existsSync(path.join(root, rel))) next.push(rel);
        continue;
      }
      const re = segmentRegex(seg);
      let names: string[];
      try {
        names = fs.readdirSync(path.join(root, base));
      } catch {
        continue;
      }
      for (const n of names) if (re.test(n) && !(n.startsWith('.') && !seg.startsWith('.'))) next.push(base ? `${base}/${n}` : n);
    }
    current = next;
  }
  return current.sort();
}
