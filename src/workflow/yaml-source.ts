/**
 * A YAML file parsed with positions, and the helpers every loader here uses
 * to read it: typed access to maps, sequences and scalars that fails with an
 * `InputError` naming `file:line:column`, the context (`step "map"`) and what
 * to do. Files in the plain subset go through `fast-yaml.ts`; anything else
 * (and every malformed file) through the full `yaml` parser.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';
import type { SourceLocation } from '../errors.js';
import { parseFast } from './fast-yaml.js';
import { UnsupportedYaml, toJS } from './yaml-nodes.js';
import type { YNode, YScalar } from './yaml-nodes.js';
import { didYouMean, listOf } from '../suggest.js';
import { TOO_DEEP, yamlTooDeepAt } from '../yaml-depth.js';

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
  readonly keyNode: YScalar;
  readonly value: YNode;
}

/** Offsets of line starts, for offset -> line:column. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

let full: Promise<typeof import('./yaml-full.js')> | undefined;

/** The entries of a small map by key (a linear scan: maps with fixed keys have a handful). */
export class Fields {
  constructor(readonly entries: readonly MapEntry[]) {}
  get(key: string): MapEntry | undefined {
    for (let i = 0; i < this.entries.length; i++) if ((this.entries[i] as MapEntry).key === key) return this.entries[i];
    return undefined;
  }
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
}

export class YamlSource {
  private starts: number[] | undefined;
  private lastLine = 0;

  private constructor(
    /** Absolute path. */
    readonly file: string,
    private readonly text: string,
    /** The document's top-level node (a null scalar for an empty file). */
    readonly root: YNode,
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

  static async parse(abs: string, text: string): Promise<YamlSource> {
    const probe = new YamlSource(abs, text, { kind: 'scalar', value: null, offset: 0 });
    // Before either parser: both recurse once per level (src/yaml-depth.ts).
    const deep = yamlTooDeepAt(text);
    if (deep >= 0) throw probe.error(probe.at(deep), '', TOO_DEEP);
    const fast = parseFast(text);
    if (fast !== undefined) return new YamlSource(abs, text, fast);
    full ??= import('./yaml-full.js');
    let r;
    try {
      r = (await full).parseFull(text);
    } catch (e) {
      if (e instanceof UnsupportedYaml) throw probe.error(probe.at(e.offset), '', `${e.message}; simplify the YAML here.`);
      // Only if the pre-scan ever under-counts a construct: still the user's error, not a crash.
      if (e instanceof RangeError) throw probe.error(probe.at(0), '', TOO_DEEP);
      throw e;
    }
    if ('error' in r) {
      throw probe.error(probe.at(r.offset), '', `malformed YAML: ${r.error}. Fix the syntax at this position (indentation, a missing ':' or closing bracket, a duplicate key).`);
    }
    return new YamlSource(abs, text, r.node);
  }

  /** The location of a text offset. Loaders ask mostly in increasing order, so start from the last answer. */
  at(offset: number): SourceLocation {
    this.starts ??= lineStarts(this.text);
    const s = this.starts;
    let lo = this.lastLine;
    if ((s[lo] as number) <= offset && (lo + 8 >= s.length || (s[lo + 8] as number) > offset)) {
      while (lo + 1 < s.length && (s[lo + 1] as number) <= offset) lo++;
    } else {
      lo = 0;
      let hi = s.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((s[mid] as number) <= offset) lo = mid;
        else hi = mid - 1;
      }
    }
    this.lastLine = lo;
    return { file: this.file, line: lo + 1, column: offset - (s[lo] as number) + 1 };
  }

  loc(node: YNode | undefined): SourceLocation {
    return this.at(node?.offset ?? 0);
  }

  error(at: YNode | SourceLocation | undefined, context: string, message: string): InputError {
    const loc = at !== undefined && 'file' in at ? at : this.loc(at);
    return inputError(loc, context, message);
  }

  /** Plain JS value of a node. */
  toJS(node: YNode): unknown {
    return toJS(node);
  }

  isNull(node: YNode | undefined): boolean {
    return node === undefined || (node.kind === 'scalar' && node.value === null);
  }

  /** The entries of a map node, in order; null is an empty map; anything else is an error. */
  entries(node: YNode | undefined, context: string, what: string): MapEntry[] {
    if (node === undefined || this.isNull(node)) return [];
    if (node.kind !== 'map') throw this.error(node, context, `${what} must be a map of 'key: value' lines, not ${describe(node)}.`);
    return node.pairs.map((p) => ({ key: String(p.key.value), keyNode: p.key, value: p.value }));
  }

  /** Fails on the first key not in `allowed`, suggesting the nearest valid one. */
  checkKeys(entries: readonly MapEntry[], allowed: readonly string[], context: string, what: string): void {
    for (const e of entries) {
      if (allowed.includes(e.key)) continue;
      const hint = didYouMean(e.key, allowed);
      throw this.error(e.keyNode, context, `unknown key '${e.key}'${hint === '' ? '.' : hint} Valid keys of ${what} are ${listOf(allowed)}.`);
    }
  }

  /** Entries by key, after checking keys. */
  fields(node: YNode | undefined, allowed: readonly string[], context: string, what: string): Fields {
    const es = this.entries(node, context, what);
    this.checkKeys(es, allowed, context, what);
    return new Fields(es);
  }

  /** A sequence's items (null: none), or the node itself as a one-element list when `single` allows it. */
  items(node: YNode | undefined, context: string, what: string, single = false): YNode[] {
    if (node === undefined || this.isNull(node)) return [];
    if (node.kind === 'seq') return [...node.items];
    if (single) return [node];
    throw this.error(node, context, `${what} must be a list ([a, b] or '- a' lines), not ${describe(node)}.`);
  }

  /** A scalar as a string (numbers and booleans as written in the source: `-1`, `08`, `1.0`). */
  string(node: YNode | undefined, context: string, what: string): string {
    if (node !== undefined && node.kind === 'scalar' && node.value !== null) return node.source ?? String(node.value);
    throw this.error(node, context, `${what} must be a single value (a string), not ${describe(node)}.`);
  }

  /** An integer no smaller than `min`. */
  integer(node: YNode | undefined, min: number, context: string, what: string): number {
    const v = node?.kind === 'scalar' ? node.value : undefined;
    if (typeof v === 'number' && Number.isInteger(v) && v >= min) return v;
    throw this.error(node, context, `${what} must be a whole number of at least ${min}, not ${describe(node)}.`);
  }

  boolean(node: YNode | undefined, context: string, what: string): boolean {
    const v = node?.kind === 'scalar' ? node.value : undefined;
    if (typeof v === 'boolean') return v;
    throw this.error(node, context, `${what} must be true or false, not ${describe(node)}.`);
  }
}

/** A short description of a node for messages: `a list`, `the number 3`, `'abc'`. */
export function describe(n: YNode | undefined): string {
  if (n === undefined) return 'nothing';
  if (n.kind === 'map') return 'a map';
  if (n.kind === 'seq') return 'a list';
  if (n.value === null) return 'nothing (null)';
  if (typeof n.value === 'string') return `'${n.value}'`;
  return `${typeof n.value} ${String(n.value)}`;
}
