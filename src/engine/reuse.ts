/**
 * Reuse on `--resume`: an instance whose earlier success (read from the
 * journal being resumed) has the same hash, and whose output files and
 * directories are still there, is not run again; its outputs are taken over.
 */
import fs from 'node:fs';
import type { PortValue } from '../workflow/model.js';

/** An earlier success of an instance (from the journal being resumed). */
export interface PriorSuccess {
  readonly hash: string;
  readonly outputs: Readonly<Record<string, PortValue>>;
  readonly outputsMac?: string;
  /** Each output's file-key digest (§16.3), if the journal has them. */
  readonly keyDigests?: Readonly<Record<string, string>>;
}

/** The outputs to take over for an instance with this hash, or null if it has to run. */
export function reusableOutputs(prior: PriorSuccess | undefined, hash: string): Record<string, PortValue> | null {
  return prior && prior.hash === hash && outputsIntact(prior.outputs) ? { ...prior.outputs } : null;
}

/** Whether every file and directory an earlier success produced is still there (files: with the same size). */
export function outputsIntact(values: Readonly<Record<string, PortValue>>): boolean {
  const ok = (v: unknown): boolean => {
    if (v === null || typeof v !== 'object') return true;
    if (Array.isArray(v)) return v.every(ok);
    const o = v as { class?: unknown; path?: unknown; size?: unknown };
    if (o.class === 'File' && typeof o.path === 'string') {
      try {
        const st = fs.statSync(o.path);
        return st.isFile() && (typeof o.size !== 'number' || st.size === o.size);
      } catch {
        return false;
      }
    }
    if (o.class === 'Directory' && typeof o.path === 'string') return fs.existsSync(o.path);
    return true;
  };
  return Object.values(values).every(ok);
}
