/**
 * Where a run's outputs were published (`--out DIR`, default
 * `<run>/outputs/`), remembered in the run directory as `published.json`
 * (`{"dir": "<absolute DIR>"}`) so that `sealflow show` lists the same files
 * `sealflow run` printed, with the receipt beside them. A run published
 * before this file existed is looked for in the default place.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PortValue } from '../workflow/model.js';
import type { RunDir } from './run-dir.js';

const FILE = 'published.json';

export interface Publication {
  /** The output directory (absolute). */
  readonly dir: string;
  /** The values with their published paths, as `outputs.json` in `dir` holds them. */
  readonly outputs: Readonly<Record<string, PortValue>>;
}

export function recordPublication(run: RunDir, outDir: string): void {
  fs.writeFileSync(path.join(run.root, FILE), `${JSON.stringify({ dir: path.resolve(outDir) })}\n`, { mode: 0o600 });
}

/** The run's publication, or null when it was never published (it did not succeed) or `outputs.json` is gone. */
export function readPublication(run: RunDir): Publication | null {
  let dir = run.outputs;
  try {
    const rec = JSON.parse(fs.readFileSync(path.join(run.root, FILE), 'utf8')) as { dir?: unknown };
    if (typeof rec.dir === 'string') dir = rec.dir;
  } catch {
    // no record: the default place
  }
  try {
    const outputs = JSON.parse(fs.readFileSync(path.join(dir, 'outputs.json'), 'utf8')) as unknown;
    if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) return null;
    return { dir, outputs: outputs as Record<string, PortValue> };
  } catch {
    return null;
  }
}
