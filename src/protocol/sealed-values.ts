/**
 * Port values in encrypted runs (docs/protocol.md §10.1–§10.2).
 *
 * - A **sealed directory** is a Directory value whose `path` is one age file
 *   (the directory's tar stream) and which carries that ciphertext's `size`
 *   and `sha256`, like a file.
 * - A **sealed value** stands for a non-file port value (string, number,
 *   boolean, JSON, or an array of them): `{ "class": "Sealed", "age": <the
 *   ASCII-armored age file of the value's JSON text> }`, encrypted to the
 *   run recipient and the owner.
 *
 * Only these shapes, never the plaintext, reach the journal and the run
 * directory.
 */
import type { PortValue } from '../workflow/model.js';

export interface SealedValue {
  readonly class: 'Sealed';
  /** Armored age file (`-----BEGIN AGE ENCRYPTED FILE-----`) of the value's JSON text. */
  readonly age: string;
}

export function isSealedValue(v: unknown): v is SealedValue {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { class?: unknown }).class === 'Sealed' && typeof (v as { age?: unknown }).age === 'string';
}

export interface PathValue {
  readonly class: 'File' | 'Directory';
  readonly path: string;
  readonly [k: string]: unknown;
}

function isPathValue(v: unknown): v is PathValue {
  const o = v as { class?: unknown; path?: unknown } | null;
  return typeof o === 'object' && o !== null && (o.class === 'File' || o.class === 'Directory') && typeof o.path === 'string';
}

/** Applies `f` to every File and Directory value inside a port value (arrays and records included; sealed values are left alone). */
export function mapPathValues<T>(v: T, f: (x: PathValue) => unknown): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => mapPathValues(x, f)) as T;
  if (isPathValue(v)) return f(v) as T;
  if (isSealedValue(v)) return v;
  return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, mapPathValues(x, f)])) as T;
}

/** Every File and Directory value inside a port value. */
export function pathValues(v: unknown): PathValue[] {
  const out: PathValue[] = [];
  mapPathValues(v, (x) => {
    out.push(x);
    return x;
  });
  return out;
}

/** The paths of every File and Directory inside a port value (what the master admits and records). */
export function sealablePaths(v: unknown): string[] {
  return pathValues(v).map((x) => x.path);
}

/** The paths of the Directory values inside a port value. */
export function directoryPaths(v: unknown): Set<string> {
  return new Set(pathValues(v).flatMap((x) => (x.class === 'Directory' ? [x.path] : [])));
}

/**
 * Replaces each port value that holds no File or Directory (and is not
 * null) by a sealed value: `seal` gets its JSON text and returns the armored
 * age file. Ports holding files keep their shape (the files are sealed
 * themselves); `null` stays null (an absent optional value).
 */
export function sealPortValues(outputs: Readonly<Record<string, PortValue>>, seal: (json: string) => string): Record<string, PortValue> {
  const out: Record<string, PortValue> = {};
  for (const [id, v] of Object.entries(outputs)) {
    out[id] = v === null || pathValues(v).length > 0 || isSealedValue(v) ? v : ({ class: 'Sealed', age: seal(JSON.stringify(v)) } satisfies SealedValue);
  }
  return out;
}

/** Whether a value holds a sealed value anywhere. */
export function hasSealedValue(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (isSealedValue(v)) return true;
  if (Array.isArray(v)) return v.some(hasSealedValue);
  if (isPathValue(v)) return false;
  return Object.values(v as object).some(hasSealedValue);
}

/** Replaces every sealed value inside `v` by its plaintext value (`open` decrypts the armored age file to JSON text). */
export function revealValues<T>(v: T, open: (age: string) => string): T {
  if (!hasSealedValue(v)) return v;
  const walk = (x: unknown): unknown => {
    if (x === null || typeof x !== 'object') return x;
    if (isSealedValue(x)) return JSON.parse(open(x.age)) as unknown;
    if (Array.isArray(x)) return x.map(walk);
    if (isPathValue(x)) return x;
    return Object.fromEntries(Object.entries(x as object).map(([k, y]) => [k, walk(y)]));
  };
  return walk(v) as T;
}
