/**
 * A YAML file parsed with positions, and the helpers every loader here uses
 * to read it: typed access to maps, sequences and scalars that fails with an
 * `InputError` naming `file:line:column`, the context (`step "map"`) and what
 * to do.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document, Node, Scalar } from 'yaml';
import { InputError } from '../errors.js';
import type { SourceLocation } from '../errors.js';
import { didYouMean, listOf } from './suggest.js';

/** A path as the user should see it: relative to the working directory when it is below it. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** `file:line:column` with the file as the user should see it. */
export function where(loc: SourceLocation): string {
  return `${displayPath(loc.file)}:${loc.line}:${loc.column}`;
}

/** An InputError `where: context: message`. */
export function inputError(loc: SourceLocation, context: string, message: string): InputError {
  return new InputError(`${where(loc)}: ${context === '' ? '' : `${context}: `}${message}`);
}

export interface MapEntry {
  readonly key: string;
  readonly keyNode: Scalar;
  /** Null for `key:` with nothing after it only when the parser gave no node. */
  readonly value: Node | null;
}

export class YamlSource {
  private constructor(
    /** Absolute path. */
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Reads and parses `file`; a missing file or malformed YAML is an InputError. */
  static async read(file: string, what: string): Promise<YamlSource> {
    const abs = path.resolve(file);
    let text: string;
    try {
      text = await readFile(abs, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(e);
      throw new InputError(`${displayPath(abs)}: cannot read the ${what}: ${why}; check the path.`);
    }
    return YamlSource.parse(abs, text);
  }

  static parse(abs: string, text: string): YamlSource {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const first = doc.errors[0];
    if (first !== undefined) {
      const pos = lines.linePos(first.pos[0]);
      const msg = first.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? first.message;
      throw inputError(
        { file: abs, line: pos.line, column: pos.col },
        '',
        `malformed YAML: ${msg}. Fix the syntax at this position (indentation, a missing ':' or closing bracket, a duplicate key).`,
      );
    }
    return new YamlSource(abs, doc, lines);
  }

  /** The document's top-level node (null for an empty file). */
  get root(): Node | null {
    return this.deref(this.doc.contents as Node | null);
  }

  /** Follows an alias (`*x`) to its anchor. */
  deref(node: Node | null | undefined): Node | null {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return node;
  }

  loc(node: Node | null | undefined, fallback?: SourceLocation): SourceLocation {
    const range = node?.range;
    if (range === undefined || range === null) return fallback ?? { file: this.file, line: 1, column: 1 };
    const pos = this.lines.linePos(range[0]);
    return { file: this.file, line: pos.line, column: pos.col };
  }

  error(at: Node | SourceLocation | null | undefined, context: string, message: string): InputError {
    const loc = at !== null && at !== undefined && 'file' in at ? at : this.loc(at);
    return inputError(loc, context, message);
  }

  /** Plain JS value of a node (aliases resolved). */
  toJS(node: Node | null): unknown {
    const n = this.deref(node);
    return n === null ? null : n.toJS(this.doc);
  }

  isNull(node: Node | null): boolean {
    const n = this.deref(node);
    return n === null || (isScalar(n) && n.value === null);
  }

  /** The entries of a map node, in order; anything else is an error. */
  entries(node: Node | null, context: string, what: string): MapEntry[] {
    const n = this.deref(node);
    if (n === null || (isScalar(n) && n.value === null)) return [];
    if (!isMap(n)) throw this.error(n, context, `${what} must be a map of 'key: value' lines, not ${describe(n)}.`);
    const out: MapEntry[] = [];
    for (const pair of n.items) {
      const k = this.deref(pair.key as Node | null);
      if (k === null || !isScalar(k) || (typeof k.value !== 'string' && typeof k.value !== 'number')) {
        throw this.error(k ?? n, context, `${what} has a key that is not a plain name; use 'name: value'.`);
      }
      out.push({ key: String(k.value), keyNode: k, value: (pair.value as Node | null) ?? null });
    }
    return out;
  }

  /** Fails on the first key not in `allowed`, suggesting the nearest valid one. */
  checkKeys(entries: readonly MapEntry[], allowed: readonly string[], context: string, what: string): void {
    for (const e of entries) {
      if (allowed.includes(e.key)) continue;
      const hint = didYouMean(e.key, allowed);
      throw this.error(
        e.keyNode,
        context,
        `unknown key '${e.key}'${hint === '' ? '.' : hint} Valid keys of ${what} are ${listOf(allowed)}.`,
      );
    }
  }

  /** Entries as a record, after checking keys. */
  fields(node: Node | null, allowed: readonly string[], context: string, what: string): Map<string, MapEntry> {
    const es = this.entries(node, context, what);
    this.checkKeys(es, allowed, context, what);
    return new Map(es.map((e) => [e.key, e]));
  }

  /** A sequence's items, or the node itself as a one-element list when `single` allows it. */
  items(node: Node | null, context: string, what: string, single = false): Node[] {
    const n = this.deref(node);
    if (n === null) return [];
    if (isSeq(n)) return n.items.map((i) => this.deref(i as Node) ?? n);
    if (single) return [n];
    throw this.error(n, context, `${what} must be a list ([a, b] or '- a' lines), not ${describe(n)}.`);
  }

  /** A scalar as a string (numbers and booleans are stringified). */
  string(node: Node | null, context: string, what: string): string {
    const n = this.deref(node);
    if (n !== null && isScalar(n) && n.value !== null && typeof n.value !== 'object') return String(n.value);
    throw this.error(n, context, `${what} must be a single value (a string), not ${describe(n)}.`);
  }

  /** An integer no smaller than `min`. */
  integer(node: Node | null, min: number, context: string, what: string): number {
    const n = this.deref(node);
    const v = n !== null && isScalar(n) ? n.value : undefined;
    if (typeof v === 'number' && Number.isInteger(v) && v >= min) return v;
    throw this.error(n, context, `${what} must be a whole number of at least ${min}, not ${describe(n)}.`);
  }

  boolean(node: Node | null, context: string, what: string): boolean {
    const n = this.deref(node);
    const v = n !== null && isScalar(n) ? n.value : undefined;
    if (typeof v === 'boolean') return v;
    throw this.error(n, context, `${what} must be true or false, not ${describe(n)}.`);
  }
}

/** A short description of a node for messages: `a list`, `the number 3`, `'abc'`. */
export function describe(n: Node | null): string {
  if (n === null) return 'nothing';
  if (isMap(n)) return 'a map';
  if (isSeq(n)) return 'a list';
  if (isScalar(n)) {
    if (n.value === null) return 'nothing (null)';
    if (typeof n.value === 'string') return `'${n.value}'`;
    return `${typeof n.value} ${String(n.value)}`;
  }
  return 'an unsupported YAML value';
}
