/**
 * A file input that already sits on a deployment's hosts
 * (docs/connectors/data-in-place.md): written `{ deployment: hpc, path:
 * /lab/reads.bam.age }` in an inputs file, carried as the FileValue path
 * `hpc:/lab/reads.bam.age` (never absolute, so it cannot be taken for a file
 * of the master), admitted from the deployment's signed data manifest.
 */
import type { FileValue } from './model.js';

const ID = /^([A-Za-z][A-Za-z0-9_-]*):(\/.*)$/s;

export interface InPlaceRef {
  readonly deployment: string;
  /** Absolute path on the deployment's hosts. */
  readonly path: string;
}

export function inPlaceId(r: InPlaceRef): string {
  return `${r.deployment}:${r.path}`;
}

/** The deployment and host path of an in-place input's id, or null for any other path. */
export function inPlaceRef(id: string): InPlaceRef | null {
  const m = ID.exec(id);
  return m ? { deployment: m[1] as string, path: m[2] as string } : null;
}

/**
 * `raw` as an in-place FileValue if it is the inputs-file form (a map of exactly
 * `deployment` and `path`, or a File carrying such an id); undefined if it is not that form,
 * or a message if it is but is malformed.
 */
export function inPlaceValue(raw: unknown): FileValue | string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const o = raw as Record<string, unknown>;
  if (o['class'] === 'File' && typeof o['path'] === 'string' && inPlaceRef(o['path'])) {
    return { class: 'File', path: o['path'], ...(typeof o['sha256'] === 'string' ? { sha256: o['sha256'] } : {}) };
  }
  if (!('deployment' in o)) return undefined;
  const keys = Object.keys(o).sort().join(',');
  if (keys !== 'deployment,path') return `a file already on a deployment's hosts is written { deployment: <id>, path: <absolute path on the host> }, nothing else`;
  const d = o['deployment'];
  const p = o['path'];
  if (typeof d !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]*$/.test(d)) return `deployment must be a deployment id`;
  if (typeof p !== 'string' || !p.startsWith('/')) return `path must be the absolute path of the file on the deployment's hosts`;
  return { class: 'File', path: inPlaceId({ deployment: d, path: p }) };
}
