/**
 * Encrypted data flow on the execution channel (docs/protocol.md §10): the
 * master adds to an `assign` the file keys of exactly the files the step
 * reads, sealed under one exchange with the worker's attested X25519 key (§7.1, §8), with each
 * ciphertext's recorded SHA-256, and the recipients the worker encrypts the
 * step's outputs to.
 */
import type { DataSource } from './data-port.js';
import type { AssignMsg } from './execution.js';

export interface SealedFile {
  /** Hex SHA-256 of the ciphertext, as the master recorded it. */
  readonly sha256: string;
  /** base64 of the 16-byte age file key sealed under the release's key (§7.1): nonce ‖ ciphertext ‖ tag, 44 bytes. */
  readonly wrappedKey: string;
  /** The live worker that produced it (§15): pull it from its data port; the path stays the master's copy, the fallback. */
  readonly source?: DataSource;
}

export interface SealedPart {
  /** Input file path (as in `inputs`) -> its key and recorded hash. */
  readonly files: Readonly<Record<string, SealedFile>>;
  /** base64 of the release's ephemeral X25519 public key E (§7.1): one exchange opens every entry of `files`; absent when `files` is empty. */
  readonly keyShare?: string;
  /** age recipients (`age1…`) for every output and log: the run recipient and the owner. */
  readonly recipients: readonly string[];
}

export type SealedAssignMsg = AssignMsg & { readonly sealed: SealedPart };

export function isSealed(m: AssignMsg): m is SealedAssignMsg {
  return typeof (m as { sealed?: unknown }).sealed === 'object' && (m as { sealed?: unknown }).sealed !== null;
}

/** Applies `f` to every File value inside a port value (arrays and records included). */
export function mapFiles<T>(v: T, f: (file: { class: 'File'; path: string; [k: string]: unknown }) => unknown): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => mapFiles(x, f)) as T;
  const o = v as { class?: unknown; path?: unknown };
  if (o.class === 'File' && typeof o.path === 'string') return f(v as unknown as { class: 'File'; path: string }) as T;
  if (o.class === 'Directory') return v;
  return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, mapFiles(x, f)])) as T;
}

/** Every File path inside a port value. */
export function filePaths(v: unknown): string[] {
  const out: string[] = [];
  mapFiles(v, (file) => {
    out.push(file.path);
    return file;
  });
  return out;
}

export function hasDirectory(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some(hasDirectory);
  if ((v as { class?: unknown }).class === 'Directory') return true;
  if ((v as { class?: unknown }).class === 'File') return false;
  return Object.values(v as object).some(hasDirectory);
}
