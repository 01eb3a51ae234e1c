/**
 * Where a run keeps its state: `<stateDir>/runs/<id>/` (stateDir defaults to
 * `.sealflow` in the current directory).
 *
 * ```
 * journal.jsonl              append-only event journal (engine/journal.ts)
 * bundle/tasks.mjs           the run's TypeScript tasks, bundled by esbuild
 * steps/<step>.<index>/      outputs of each step instance (one directory: a
 *                            step id never contains a dot; runs made before
 *                            this layout have steps/<step>/<index>/, read from
 *                            their journals as recorded)
 * logs/<step>/<index>.out    stdout of the instance (unless captured as an output)
 * logs/<step>/<index>.err    stderr of the instance, and a task's ctx.log lines
 * scratch/<step>.<index>.<attempt>/   unencrypted runs: private working directory of an attempt (removed after)
 * outputs/                   the workflow outputs (default of --out)
 * published.json             where the outputs were published ({"dir": …}; engine/publication.ts)
 * run-secrets.age            encrypted runs: run identity + hash key, to the broker (attested/run-secrets.ts)
 * ```
 *
 * Encrypted runs keep no plaintext here: their outputs are age files
 * (`steps/<step>.<index>/<name>.age`), and their workers' scratch lives
 * outside the run directory (protocol/scratch.ts). Opening a state directory
 * removes the scratch of workers that are gone (engine/scratch-sweep.ts).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sweepOrphanScratchOnce } from './scratch-sweep.js';

export const DEFAULT_STATE_DIR = '.sealflow';

/** The runs of a state directory. Every command that opens one goes through here: the first call also sweeps dead workers' scratch. */
export function runsDir(stateDir: string): string {
  sweepOrphanScratchOnce();
  return path.resolve(stateDir, 'runs');
}

/** A sortable, unique run id: `20261122-131905-3fa9c1`. */
export function newRunId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}-${crypto.randomBytes(3).toString('hex')}`;
}

export class RunDir {
  readonly root: string;
  constructor(stateDir: string, readonly id: string) {
    this.root = path.join(runsDir(stateDir), id);
  }
  get journal(): string {
    return path.join(this.root, 'journal.jsonl');
  }
  get bundle(): string {
    return path.join(this.root, 'bundle', 'tasks.mjs');
  }
  get outputs(): string {
    return path.join(this.root, 'outputs');
  }
  /** One directory per step instance, straight under `steps/` (one new inode per instance, not two). */
  stepOut(step: string, index: number): string {
    return path.join(this.root, 'steps', `${step}.${index}`);
  }
  logBase(step: string, index: number): string {
    return path.join(this.root, 'logs', step, String(index));
  }
  scratch(step: string, index: number, attempt: number): string {
    return path.join(this.root, 'scratch', `${step}.${index}.${attempt}`);
  }
  exists(): boolean {
    return fs.existsSync(this.journal);
  }
  /** Creates the directory tree of a new run (mode 0700: it holds data). */
  create(): void {
    fs.mkdirSync(path.join(this.root, 'steps'), { recursive: true, mode: 0o700 });
    fs.mkdirSync(path.join(this.root, 'logs'), { mode: 0o700 });
    fs.mkdirSync(path.join(this.root, 'scratch'), { mode: 0o700 });
  }
}

/** Run ids in a state directory, oldest first. */
export function listRunIds(stateDir: string): string[] {
  const dir = runsDir(stateDir);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((id) => fs.existsSync(path.join(dir, id, 'journal.jsonl')))
    .sort();
}
