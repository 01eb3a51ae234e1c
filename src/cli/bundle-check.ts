/**
 * Whether the bundled CLI in dist/cli/ (scripts/bundle-cli.mjs) may run:
 * only while every file it was built from still has the size and
 * modification time recorded in its inputs.json. Imports only node:fs (it
 * runs before anything else loads).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/cli/, from dist/src/cli/. */
export const BUNDLE_DIR = new URL('../../cli/', import.meta.url);

/** True if `dir`/inputs.json names files that all still have their recorded size and mtime, and `dir`/main.mjs exists. */
export function bundleIsCurrent(dir: URL = BUNDLE_DIR): boolean {
  try {
    const record = JSON.parse(fs.readFileSync(new URL('inputs.json', dir), 'utf8')) as { version?: unknown; inputs?: unknown };
    if (record.version !== 1 || !Array.isArray(record.inputs) || record.inputs.length === 0) return false;
    // Paths, not a URL per file: ~460 files are checked on every start, and URL parsing cost more than the stat.
    const base = fileURLToPath(dir);
    for (const entry of record.inputs as unknown[]) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') return false;
      const st = fs.statSync(path.join(base, entry[0]), { throwIfNoEntry: false });
      if (st === undefined || st.size !== entry[1] || st.mtimeMs !== entry[2]) return false;
    }
    return fs.existsSync(new URL('main.mjs', dir));
  } catch {
    return false;
  }
}
