/**
 * Reading CWL documents (CWL v1.2 § "Document preprocessing"): YAML or JSON
 * with the line of every map and sequence kept (errors say `file:line`),
 * `$import` (a document replaces the map) and `$include` (a file's text
 * replaces it), each confined to the root document's directory: the master
 * reads only the workflow's documents and the job order's files. `http(s)://`
 * is refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { InputError } from '../../../errors.js';
import { MAX_YAML_DEPTH, TOO_DEEP, yamlTooDeepAt } from '../../../yaml-depth.js';

/** Lines of parsed maps and sequences (1-based). */
const lines = new WeakMap<object, { file: string; line: number }>();

/** `file:line` of a parsed map or sequence (or of the document when unknown). */
export function lineOf(v: unknown, fallbackFile: string): string {
  const at = v !== null && typeof v === 'object' ? lines.get(v) : undefined;
  return at ? `${at.file}:${at.line}` : fallbackFile;
}

/** Gives `to` the line of `from` (a normalised copy of a parsed map keeps its place in the file). */
export function sameLine<T extends object>(from: unknown, to: T): T {
  const at = from !== null && typeof from === 'object' ? lines.get(from) : undefined;
  if (at) lines.set(to, at);
  return to;
}

export function cwlError(v: unknown, file: string, message: string): InputError {
  return new InputError(`${lineOf(v, file)}: ${message}`);
}

const MAX_FILE = 64 * 1024 * 1024;
const MAX_ALIASES = 1000;

function readText(file: string, at: string): string {
  let st;
  try {
    st = fs.statSync(file);
  } catch {
    throw new InputError(`${at}: ${file} does not exist; check the path`);
  }
  if (!st.isFile()) throw new InputError(`${at}: ${file} is not a file`);
  if (st.size > MAX_FILE) throw new InputError(`${at}: ${file} is larger than ${MAX_FILE} bytes`);
  return fs.readFileSync(file, 'utf8');
}

/** Parses YAML (JSON is YAML) keeping lines; aliases expanded at most 1000 times. */
export function parseYaml(text: string, file: string): unknown {
  const deep = yamlTooDeepAt(text, MAX_YAML_DEPTH);
  if (deep >= 0) throw new InputError(`${file}:${text.slice(0, deep).split('\n').length}: ${TOO_DEEP}`);
  const lc = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false, merge: false });
  const err = doc.errors[0];
  if (err) throw new InputError(`${file}:${lc.linePos(err.pos[0]).line}: ${err.message.split('\n')[0] ?? 'YAML error'}; fix the YAML`);
  let aliases = 0;
  const convert = (node: unknown, depth: number): unknown => {
    let n = node as Node | null | undefined;
    if (depth > MAX_YAML_DEPTH * 2) throw new InputError(`${file}: the YAML nests too deep (an alias that refers to itself?)`);
    if (n && isAlias(n)) {
      if (++aliases > MAX_ALIASES) throw new InputError(`${file}: the YAML expands aliases more than ${MAX_ALIASES} times`);
      n = n.resolve(doc) as Node | undefined;
    }
    if (n === null || n === undefined) return null;
    const line = lc.linePos(n.range?.[0] ?? 0).line;
    if (isMap(n)) {
      const o: Record<string, unknown> = {};
      for (const p of n.items) {
        const k = convert(p.key, depth + 1);
        if (typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'boolean') throw new InputError(`${file}:${line}: a map key must be a name`);
        if (String(k) === '__proto__') throw new InputError(`${file}:${line}: '__proto__' is not a CWL field`);
        o[String(k)] = convert(p.value, depth + 1);
      }
      lines.set(o, { file, line });
      return o;
    }
    if (isSeq(n)) {
      const a = n.items.map((i) => convert(i, depth + 1));
      lines.set(a, { file, line });
      return a;
    }
    if (isScalar(n)) {
      const v = n.value;
      return typeof v === 'bigint' ? Number(v) : v instanceof Date ? n.source : v;
    }
    return null;
  };
  return convert(doc.contents, 0);
}

/** Is `p` inside `root` (or `root` itself)? */
export function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Strips `file://`; refuses remote locations. */
export function localPath(loc: string, base: string, at: string, uri = false): string {
  if (/^https?:\/\//i.test(loc)) throw new InputError(`${at}: '${loc}' is a remote location; sealflow reads only local files — download it and give its path`);
  let p = loc;
  if (p.startsWith('file://')) p = decodeURIComponent(p.slice('file://'.length));
  else if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(p) && !p.startsWith('/')) throw new InputError(`${at}: '${loc}' is not a local path (scheme not supported)`);
  const hash = uri ? -1 : p.indexOf('#');
  if (hash >= 0) p = p.slice(0, hash);
  if (uri) {
    try {
      p = decodeURIComponent(p);
    } catch {
      throw new InputError(`${at}: '${loc}' is not a valid URI (a stray '%'?)`);
    }
  }
  return path.resolve(base, p);
}

/** A document location confined to `root`. */
export function confined(loc: string, base: string, root: string, at: string, what: string): string {
  const p = localPath(loc, base, at);
  if (!inside(root, p)) throw new InputError(`${at}: ${what} '${loc}' resolves outside the workflow's directory ${root}; sealflow reads only documents below it — copy the file there`);
  return p;
}

export interface LoadedText {
  readonly file: string;
  readonly value: unknown;
}

const cache = new Map<string, unknown>();

/** Forgets the documents read so far (one process that loads many versions of a file: tests, fuzzing). */
export function clearDocumentCache(): void {
  cache.clear();
}

/** Reads and parses a document file (cached per process), then resolves its `$import` / `$include`. */
export function loadDocument(file: string, root: string, at: string): unknown {
  const hit = cache.get(file);
  if (hit !== undefined) return hit;
  const v = resolveDirectives(parseYaml(readText(file, at), file), path.dirname(file), root, file, 0);
  cache.set(file, v);
  return v;
}

function resolveDirectives(v: unknown, base: string, root: string, file: string, depth: number): unknown {
  if (depth > 50) throw new InputError(`${file}: $import nests deeper than 50 documents (a cycle?)`);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = resolveDirectives(v[i], base, root, file, depth);
    return v;
  }
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const at = lineOf(o, file);
  if (typeof o.$import === 'string') {
    const target = confined(o.$import, base, root, at, '$import');
    const frag = o.$import.includes('#') ? o.$import.slice(o.$import.indexOf('#') + 1) : undefined;
    const doc = resolveDirectives(parseYaml(readText(target, at), target), path.dirname(target), root, target, depth + 1);
    return frag ? findId(doc, frag) ?? doc : doc;
  }
  if (typeof o.$include === 'string') return readText(confined(o.$include, base, root, at, '$include'), at);
  for (const k of Object.keys(o)) o[k] = resolveDirectives(o[k], base, root, file, depth);
  return o;
}

/** The object with `id` equal to `id` (or ending in `#id` / `/id`) anywhere in `doc`. */
export function findId(doc: unknown, id: string): unknown {
  const want = id.replace(/^#/, '');
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.id === 'string' && o.id.replace(/^.*#/, '') === want) return o;
      stack.push(...Object.values(o));
    }
  }
  return undefined;
}
