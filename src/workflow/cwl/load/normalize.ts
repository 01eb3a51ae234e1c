/**
 * A parsed CWL document onto the process model (../model.ts): short ids,
 * long-form types (with SchemaDefRequirement names expanded), requirement
 * arrays, `stdout`/`stderr` output shortcuts, default files resolved and
 * confined, steps' `run` loaded. v1.0 and v1.1 documents are read as v1.2
 * (the differences that matter here are defaults, applied by the executor).
 */
import path from 'node:path';
import { InputError } from '../../../errors.js';
import type { CwlBinding, CwlParam, CwlProcess, CwlRequirement, CwlSecondary, CwlStep, CwlStepInput, CwlType } from '../model.js';
import { confined, cwlError, findId, lineOf, loadDocument, sameLine } from './read.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

const VERSIONS = new Set(['v1.0', 'v1.1', 'v1.2', 'v1.1.0-dev1', 'v1.2.0-dev1', 'v1.2.0-dev2', 'v1.2.0-dev3', 'v1.2.0-dev4', 'v1.2.0-dev5']);
const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'string', 'File', 'Directory', 'Any', 'stdin', 'stdout', 'stderr']);

export interface LoadContext {
  /** Root document directory: everything the master reads must be below it. */
  readonly root: string;
  readonly file: string;
  readonly doc: unknown;
  readonly version: string;
  readonly namespaces: Readonly<Record<string, string>>;
  readonly schemas: Map<string, CwlType>;
  readonly depth: number;
}

/** The last segment of an id: `#main/step/in` → `in`, `file.cwl#x` → `x`. */
export function shortId(id: string): string {
  const h = id.lastIndexOf('#');
  const s = h >= 0 ? id.slice(h + 1) : id;
  const slash = s.lastIndexOf('/');
  return slash >= 0 ? s.slice(slash + 1) : s;
}

/** A source relative to its workflow: `#main/step/out` → `step/out`, `#main/x` → `x`. */
function sourceId(src: string, processId: string): string {
  let s = src.includes('#') ? src.slice(src.lastIndexOf('#') + 1) : src;
  const own = processId.includes('#') ? processId.slice(processId.lastIndexOf('#') + 1) : processId;
  if (own !== '' && s.startsWith(`${own}/`)) s = s.slice(own.length + 1);
  const parts = s.split('/');
  return parts.length > 2 ? parts.slice(-2).join('/') : s;
}

/** Map form (`{id: value}`) or array form to an array of objects with `key` set. */
function entries(v: unknown, key: string, shorthand: string, at: unknown, file: string, what: string): Obj[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map((e) => (isObj(e) ? e : typeof e === 'string' ? { [key]: e } : (() => { throw cwlError(v, file, `${what}: each entry must be a map`); })()));
  if (isObj(v)) return Object.entries(v).map(([k, e]) => sameLine(isObj(e) ? e : v, isObj(e) ? { ...e, [key]: (e as Obj)[key] ?? k } : { [key]: k, [shorthand]: e }));
  throw cwlError(at, file, `${what} must be a list or a map`);
}

function expandPrefix(s: string, ns: Readonly<Record<string, string>>): string {
  const m = /^([A-Za-z0-9_]+):(.*)$/.exec(s);
  if (m && ns[m[1]!] !== undefined) return `${ns[m[1]!]}${m[2]}`;
  return s;
}

export function normalizeType(t: unknown, ctx: LoadContext, at: unknown, depth = 0): CwlType {
  if (depth > 64) throw cwlError(at, ctx.file, 'a type nests deeper than 64 levels (a recursive SchemaDefRequirement type?)');
  if (typeof t === 'string') {
    if (t.endsWith('?')) return ['null', normalizeType(t.slice(0, -1), ctx, at, depth + 1)];
    if (t.endsWith('[]')) return { type: 'array', items: normalizeType(t.slice(0, -2), ctx, at, depth + 1) };
    if (PRIMITIVES.has(t)) return t;
    const name = t.includes('#') ? t.slice(t.lastIndexOf('#') + 1) : t;
    const s = ctx.schemas.get(name) ?? ctx.schemas.get(shortId(t));
    if (s !== undefined) return s;
    const full = expandPrefix(t, ctx.namespaces);
    if (full.startsWith('http://www.w3.org/2001/XMLSchema#') || full.startsWith('https://w3id.org/cwl/salad#')) return shortId(full);
    throw cwlError(at, ctx.file, `unknown type '${t}'; CWL types are null, boolean, int, long, float, double, string, File, Directory, Any, or a name from SchemaDefRequirement`);
  }
  if (Array.isArray(t)) return t.map((x) => normalizeType(x, ctx, at, depth + 1));
  if (isObj(t)) {
    const name = typeof t.name === 'string' ? shortId(t.name) : undefined;
    const named = name !== undefined ? { name } : {};
    const bound = isObj(t.inputBinding) ? { inputBinding: t.inputBinding } : {};
    if (t.type === 'array') return { type: 'array', items: normalizeType(t.items, ctx, t, depth + 1), ...named, ...bound };
    if (t.type === 'enum') return { type: 'enum', symbols: ((t.symbols as unknown[]) ?? []).map((s) => shortId(String(s))), ...named };
    if (t.type === 'record') {
      const fields = entries(t.fields, 'name', 'type', t, ctx.file, 'record fields').map((f) => ({
        ...f,
        name: shortId(String(f.name)),
        type: normalizeType(f.type, ctx, f, depth + 1),
        ...(f.secondaryFiles !== undefined ? { secondaryFiles: secondaries(f.secondaryFiles) } : {}),
      })) as unknown as CwlParam[];
      return { type: 'record', fields: fields as never, ...named, ...bound };
    }
    return normalizeType(t.type, ctx, t, depth + 1);
  }
  throw cwlError(at, ctx.file, `'${JSON.stringify(t)?.slice(0, 60)}' is not a CWL type`);
}

/** v1.0 has no `required` on secondaryFiles (a v1.1 feature): such a document is refused, as other v1.2 runners do. */
function checkV10(inputs: unknown, ctx: LoadContext): void {
  const list = Array.isArray(inputs) ? inputs : isObj(inputs) ? Object.values(inputs) : [];
  for (const i of list) {
    const sf = isObj(i) ? i.secondaryFiles : undefined;
    for (const s of Array.isArray(sf) ? sf : sf === undefined ? [] : [sf]) {
      if (isObj(s) && s.required !== undefined) throw cwlError(i, ctx.file, "secondaryFiles with 'required' is CWL v1.1 or later; this document says cwlVersion v1.0");
    }
  }
}

function secondaries(v: unknown): CwlSecondary[] {
  const list = Array.isArray(v) ? v : [v];
  return list.map((s) => (typeof s === 'string' ? (s.endsWith('?') ? { pattern: s.slice(0, -1), required: false } : { pattern: s }) : (s as CwlSecondary)));
}

/** Resolves `location`/`path` of File and Directory literals against the document, confined to the root. */
export function resolveLiteralFiles(v: unknown, ctx: LoadContext, at: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => resolveLiteralFiles(x, ctx, at));
  if (!isObj(v)) return v;
  if (v.class === 'File' || v.class === 'Directory') {
    const o: Obj = { ...v };
    const loc = (o.location ?? o.path) as unknown;
    if (typeof loc === 'string') {
      const p = confined(loc, path.dirname(ctx.file), ctx.root, lineOf(at, ctx.file), `${String(v.class)} location`);
      o.location = p;
      o.path = p;
    }
    if (Array.isArray(o.secondaryFiles)) o.secondaryFiles = o.secondaryFiles.map((x) => resolveLiteralFiles(x, ctx, at));
    if (Array.isArray(o.listing)) o.listing = o.listing.map((x) => resolveLiteralFiles(x, ctx, at));
    return o;
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveLiteralFiles(x, ctx, at)]));
}

function requirements(v: unknown, ctx: LoadContext, at: unknown, what: string): CwlRequirement[] {
  const list = entries(v, 'class', '', at, ctx.file, what);
  return list.map((r) => {
    const cls = expandPrefix(String(r.class ?? ''), ctx.namespaces);
    const short = cls.replace(/^.*[#/]/, '');
    return { ...r, class: cls.startsWith('http') && !cls.includes('w3id.org/cwl') ? cls : short } as CwlRequirement;
  });
}

function param(p: Obj, ctx: LoadContext, output: boolean, processId: string, stdName: { stdin?: string; stdout?: string; stderr?: string }): CwlParam {
  const id = shortId(String(p.id ?? ''));
  if (id === '') throw cwlError(p, ctx.file, `a parameter without an id`);
  let type: CwlType = p.type === undefined ? 'Any' : normalizeType(p.type, ctx, p);
  let outputBinding = p.outputBinding as CwlParam['outputBinding'];
  if (!output && type === 'stdin') {
    stdName.stdin = `$(inputs.${id}.path)`;
    type = 'File';
  }
  if (output && (type === 'stdout' || type === 'stderr')) {
    const which = type;
    stdName[which] ??= `${which}-${Math.random().toString(36).slice(2, 10)}.txt`;
    outputBinding = { glob: stdName[which] };
    type = 'File';
  }
  const out: Record<string, unknown> = { ...p, id, type };
  if (outputBinding !== undefined) out.outputBinding = outputBinding;
  if (p.default !== undefined) out.default = resolveLiteralFiles(p.default, ctx, p);
  if (p.secondaryFiles !== undefined) out.secondaryFiles = secondaries(p.secondaryFiles);
  if (typeof p.format === 'string') out.format = expandPrefix(p.format, ctx.namespaces);
  else if (Array.isArray(p.format)) out.format = p.format.map((f) => (typeof f === 'string' ? expandPrefix(f, ctx.namespaces) : f));
  if (p.outputSource !== undefined) out.outputSource = (Array.isArray(p.outputSource) ? p.outputSource : [p.outputSource]).map((s) => sourceId(String(s), processId));
  return out as unknown as CwlParam;
}

/** Loads the process `ref` (a file path, optionally `#id`) or an inline process object. */
export function loadProcess(ref: unknown, ctx: LoadContext, at: unknown): CwlProcess {
  if (ctx.depth > 32) throw cwlError(at, ctx.file, 'processes nest deeper than 32 levels (a workflow that runs itself?)');
  if (typeof ref === 'string') {
    if (ref.startsWith('#')) {
      const found = findId(ctx.doc, ref.slice(1));
      if (!isObj(found)) throw cwlError(at, ctx.file, `no process with id '${ref}' in ${ctx.file}`);
      return normalizeProcess(found, { ...ctx, depth: ctx.depth + 1 });
    }
    const file = confined(ref, path.dirname(ctx.file), ctx.root, lineOf(at, ctx.file), 'run');
    return loadFile(file, ref.includes('#') ? ref.slice(ref.indexOf('#') + 1) : undefined, { ...ctx, depth: ctx.depth + 1 }, lineOf(at, ctx.file));
  }
  if (isObj(ref)) return normalizeProcess(ref, { ...ctx, depth: ctx.depth + 1 });
  throw cwlError(at, ctx.file, "'run' must be a file name or a process");
}

/** Loads a document file and its process (`fragment`: a `$graph` entry; default `main` or the only one). */
export function loadFile(file: string, fragment: string | undefined, parent: Pick<LoadContext, 'root' | 'depth'> & Partial<LoadContext>, at: string): CwlProcess {
  const doc = loadDocument(file, parent.root, at);
  if (!isObj(doc)) throw new InputError(`${file}: a CWL document must be a map`);
  const version = typeof doc.cwlVersion === 'string' ? doc.cwlVersion : parent.version;
  if (version === undefined) throw new InputError(`${file}:1: no cwlVersion; add 'cwlVersion: v1.2'`);
  if (!VERSIONS.has(version)) throw new InputError(`${file}:1: cwlVersion ${version} is not supported; sealflow reads v1.0, v1.1 and v1.2`);
  const namespaces = { ...(parent.namespaces ?? {}), ...(isObj(doc.$namespaces) ? (doc.$namespaces as Record<string, string>) : {}) };
  const ctx: LoadContext = { root: parent.root, file, doc, version, namespaces, schemas: new Map(parent.schemas ?? []), depth: parent.depth };
  let proc: unknown = doc;
  if (Array.isArray(doc.$graph)) {
    const graph = doc.$graph as unknown[];
    proc = fragment !== undefined ? findId(graph, fragment) : (findId(graph, 'main') ?? (graph.length === 1 ? graph[0] : undefined));
    if (!isObj(proc)) throw new InputError(`${file}: $graph has no process '${fragment ?? 'main'}'; name one with '${path.basename(file)}#id'`);
  } else if (fragment !== undefined && fragment !== '') {
    const f = findId(doc, fragment);
    if (isObj(f)) proc = f;
  }
  return normalizeProcess(proc as Obj, ctx);
}

function normalizeProcess(p: Obj, ctx0: LoadContext): CwlProcess {
  const ctx: LoadContext = { ...ctx0, schemas: new Map(ctx0.schemas) };
  const cls = p.class;
  if (cls !== 'CommandLineTool' && cls !== 'ExpressionTool' && cls !== 'Workflow' && cls !== 'Operation') {
    throw cwlError(p, ctx.file, `class '${String(cls)}' is not a CWL process; use CommandLineTool, ExpressionTool or Workflow`);
  }
  const id = typeof p.id === 'string' ? p.id : '';
  if (ctx.version === 'v1.0') checkV10(p.inputs, ctx);
  const reqs = requirements(p.requirements, ctx, p, 'requirements');
  for (const r of reqs) if (r.class === 'InitialWorkDirRequirement' && Array.isArray(r.listing)) (r as unknown as { listing: unknown }).listing = resolveLiteralFiles(r.listing, ctx, r);
  const hints = requirements(p.hints, ctx, p, 'hints');
  for (const r of [...reqs, ...hints]) {
    if (r.class !== 'SchemaDefRequirement') continue;
    const types = Array.isArray(r.types) ? (r.types as unknown[]).flat(2) : [];
    for (const t of types) {
      if (isObj(t) && typeof t.name === 'string') ctx.schemas.set(shortId(t.name), { ...(t as object), name: shortId(t.name) } as CwlType);
    }
    // Two passes: a type that names another defined later sees its normalized form on the second.
    for (let pass = 0; pass < 2; pass++) for (const [k, t] of [...ctx.schemas]) ctx.schemas.set(k, normalizeType(t, ctx, r));
  }
  const std: { stdin?: string; stdout?: string; stderr?: string } = {};
  if (typeof p.stdout === 'string') std.stdout = p.stdout;
  if (typeof p.stderr === 'string') std.stderr = p.stderr;
  const inputs = entries(p.inputs, 'id', 'type', p, ctx.file, 'inputs').map((x) => param(x, ctx, false, id, std));
  const outputs = entries(p.outputs, 'id', 'type', p, ctx.file, 'outputs').map((x) => param(x, ctx, true, id, std));
  const base: Record<string, unknown> = { class: cls, id, cwlVersion: ctx.version, file: ctx.file, at: lineOf(p, ctx.file), inputs, outputs, requirements: reqs, hints, namespaces: ctx.namespaces };
  if (cls === 'CommandLineTool') {
    const bc = p.baseCommand;
    base.baseCommand = bc === undefined ? [] : Array.isArray(bc) ? bc.map(String) : [String(bc)];
    base.arguments = (Array.isArray(p.arguments) ? p.arguments : []).map((a) => (isObj(a) ? (a as CwlBinding) : typeof a === 'string' ? a : String(a)));
    if (p.stdin !== undefined) base.stdin = p.stdin;
    else if (std.stdin !== undefined) base.stdin = std.stdin;
    if (std.stdout !== undefined) base.stdout = std.stdout;
    if (std.stderr !== undefined) base.stderr = std.stderr;
    for (const k of ['successCodes', 'temporaryFailCodes', 'permanentFailCodes'] as const) if (Array.isArray(p[k])) base[k] = p[k];
  }
  if (cls === 'ExpressionTool') {
    if (typeof p.expression !== 'string') throw cwlError(p, ctx.file, 'an ExpressionTool needs an expression');
    base.expression = p.expression;
  }
  if (cls === 'Workflow') base.steps = entries(p.steps, 'id', '', p, ctx.file, 'steps').map((s) => step(s, ctx, id));
  return base as unknown as CwlProcess;
}

function step(s: Obj, ctx: LoadContext, wfId: string): CwlStep {
  const id = shortId(String(s.id ?? ''));
  if (id === '') throw cwlError(s, ctx.file, 'a step without an id');
  const ins: CwlStepInput[] = entries(s.in, 'id', 'source', s, ctx.file, `step ${id}: in`).map((i) => {
    const src = i.source === undefined ? [] : Array.isArray(i.source) ? i.source : [i.source];
    const o: Record<string, unknown> = { ...i, id: shortId(String(i.id)), source: src.map((x) => sourceId(String(x), wfId)) };
    if (i.default !== undefined) o.default = resolveLiteralFiles(i.default, ctx, i);
    if (!Array.isArray(i.source) && i.source !== undefined) o.linkMergeDefault = 'single';
    return o as unknown as CwlStepInput;
  });
  const out = ((s.out as unknown[]) ?? []).map((o) => shortId(isObj(o) ? String(o.id) : String(o)));
  const scatter = s.scatter === undefined ? [] : (Array.isArray(s.scatter) ? s.scatter : [s.scatter]).map((x) => shortId(String(x)));
  const r: Record<string, unknown> = {
    id,
    in: ins,
    out,
    run: loadProcess(s.run, ctx, s),
    scatter,
    requirements: requirements(s.requirements, ctx, s, 'requirements'),
    hints: requirements(s.hints, ctx, s, 'hints'),
    at: lineOf(s, ctx.file),
  };
  if (typeof s.scatterMethod === 'string') r.scatterMethod = s.scatterMethod;
  if (typeof s.when === 'string') {
    if (!ctx.version.startsWith('v1.2')) throw cwlError(s, ctx.file, `step ${id}: 'when' is CWL v1.2; this document says cwlVersion ${ctx.version} — change it to v1.2`);
    r.when = s.when;
  }
  return r as unknown as CwlStep;
}

/** Loads the CWL document `file` (`file#id` for one process of a `$graph`); everything it reads must be below its directory. */
export function loadCwl(ref: string): CwlProcess {
  const hash = ref.indexOf('#');
  const file = path.resolve(hash >= 0 ? ref.slice(0, hash) : ref);
  return loadFile(file, hash >= 0 ? ref.slice(hash + 1) : undefined, { root: path.dirname(file), depth: 0 }, file);
}
