/**
 * Whether the bundled CLI in dist/cli/ (scripts/bundle-cli.mjs) may run:
 * only while every file it was built from still has the size and
 * modification time recorded in its inputs.json. Imports only node:fs (it
 * runs before anything else loads).
 */
import fs from 'node:fs';

/** dist/cli/, from dist/src/cli/. */
export const BUNDLE_DIR = new URL('../../cli/', import.meta.url);

/** True if `dir`/inputs.json names files that all still have their recorded size and mtime, and `dir`/main.mjs exists. */
export function bundleIsCurrent(dir: URL = BUNDLE_DIR): boolean {
  try {
    const record = JSON.parse(fs.readFileSync(new URL('inputs.json', dir), 'utf8')) as { version?: unknown; inputs?: unknown };
    if (record.version !== 1 || !Array.isArray(record.inputs) || record.inputs.length === 0) return false;
    for (const entry of record.inputs as unknown[]) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') return false;
      const st = fs.statSync(new URL(entry[0], dir));
      if (st.size !== entry[1] || st.mtimeMs !== entry[2]) return false;
    }
    return fs.existsSync(new URL('main.mjs', dir));
  } catch {
    return false;
  }
}
