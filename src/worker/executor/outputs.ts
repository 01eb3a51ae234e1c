/**
 * Turning what an attempt left in its scratch directory into port values:
 * command outputs by glob, task outputs from the returned object. Files and
 * directories are moved out of scratch into the instance's output directory
 * (copied if they live elsewhere), so scratch can be removed; each file value
 * carries its size and SHA-256.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PortType, PortValue } from '../../workflow/model.js';
import type { AssignMsg } from '../../protocol/execution.js';
import { sha256File } from '../../engine/hash.js';
import { globIn } from './glob.js';
import { expandString, type TemplateScope } from './template.js';

export class OutputError extends Error {
  override readonly name = 'OutputError';
}

function baseKind(t: PortType): { base: string; depth: number } {
  let depth = 0;
  while (t.kind === 'array') {
    t = t.items;
    depth++;
  }
  return { base: t.kind, depth };
}

class Mover {
  private readonly moved = new Map<string, string>();
  constructor(
    private readonly scratch: string,
    private readonly outDir: string,
  ) {}

  /** Moves (or copies, if outside scratch) a file or directory into outDir; returns the new absolute path. */
  place(p: string): string {
    const abs = path.resolve(this.scratch, p);
    const done = this.moved.get(abs);
    if (done) return done;
    const rel = path.relative(this.scratch, abs);
    const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
    const dest = path.join(this.outDir, inside ? rel : path.join('_external', String(this.moved.size), path.basename(abs)));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    if (inside) fs.renameSync(abs, dest);
    else fs.cpSync(abs, dest, { recursive: true });
    this.moved.set(abs, dest);
    return dest;
  }
}

function fileValue(p: string): PortValue {
  return { class: 'File', path: p, size: fs.statSync(p).size, sha256: sha256File(p) };
}

function scalarFromFile(base: string, file: string, what: string): PortValue {
  const text = fs.readFileSync(file, 'utf8');
  switch (base) {
    case 'string':
      return text.replace(/\r?\n$/, '');
    case 'number': {
      const n = Number(text.trim());
      if (text.trim() === '' || Number.isNaN(n)) throw new OutputError(`${what}: ${JSON.stringify(text.trim().slice(0, 40))} is not a number`);
      return n;
    }
    case 'boolean': {
      const t = text.trim();
      if (t !== 'true' && t !== 'false') throw new OutputError(`${what}: ${JSON.stringify(t.slice(0, 40))} is not true or false`);
      return t === 'true';
    }
    default:
      try {
        return JSON.parse(text) as PortValue;
      } catch {
        throw new OutputError(`${what}: the file is not valid JSON`);
      }
  }
}

/** Collects a command's outputs by their globs. */
export function collectCommandOutputs(
  msg: AssignMsg,
  globs: Readonly<Record<string, string>>,
  scope: TemplateScope,
): Record<string, PortValue> {
  const mover = new Mover(msg.scratchDir, msg.outDir);
  const out: Record<string, PortValue> = {};
  for (const port of msg.outputs) {
    const g = globs[port.id];
    if (g === undefined) throw new OutputError(`output ${port.id}: no glob declared`);
    const pattern = expandString(g, scope);
    const matches = globIn(msg.scratchDir, pattern);
    const { base, depth } = baseKind(port.type);
    const what = `output ${port.id} (glob ${JSON.stringify(pattern)})`;
    const one = (rel: string): PortValue => {
      const abs = path.join(msg.scratchDir, rel);
      if (base === 'file') return fileValue(mover.place(abs));
      if (base === 'directory') return { class: 'Directory', path: mover.place(abs) };
      return scalarFromFile(base, abs, what);
    };
    if (depth > 0) out[port.id] = matches.map(one);
    else if (matches.length === 0) {
      if (!port.optional) throw new OutputError(`${what}: no file matches in the step's scratch directory`);
      out[port.id] = null;
    } else if (matches.length > 1) throw new OutputError(`${what}: ${matches.length} files match, the port takes one`);
    else out[port.id] = one(matches[0] as string);
  }
  return out;
}

/** Converts a task's returned values (paths for files/directories) to port values, checking types. */
export function convertTaskOutputs(msg: AssignMsg, returned: unknown): Record<string, PortValue> {
  if (typeof returned !== 'object' || returned === null) throw new OutputError(`the task returned ${JSON.stringify(returned)}, not an object of outputs`);
  const r = returned as Record<string, unknown>;
  const mover = new Mover(msg.scratchDir, msg.outDir);
  const out: Record<string, PortValue> = {};
  const conv = (t: PortType, v: unknown, what: string): PortValue => {
    if (v === null || v === undefined) return null;
    if (t.kind === 'array') {
      if (!Array.isArray(v)) throw new OutputError(`${what}: expected an array, got ${typeof v}`);
      return v.map((x, i) => conv(t.items, x, `${what}[${i}]`));
    }
    switch (t.kind) {
      case 'file':
      case 'directory': {
        if (typeof v !== 'string') throw new OutputError(`${what}: expected a path (string), got ${typeof v}`);
        const abs = path.resolve(msg.scratchDir, v);
        if (!fs.existsSync(abs)) throw new OutputError(`${what}: ${v} does not exist`);
        const placed = mover.place(abs);
        return t.kind === 'file' ? fileValue(placed) : { class: 'Directory', path: placed };
      }
      case 'string':
      case 'number':
      case 'boolean':
        if (typeof v !== t.kind) throw new OutputError(`${what}: expected a ${t.kind}, got ${typeof v}`);
        return v as PortValue;
      case 'json':
        return JSON.parse(JSON.stringify(v)) as PortValue;
    }
  };
  for (const port of msg.outputs) {
    const v = conv(port.type, r[port.id], `output ${port.id}`);
    if (v === null && !port.optional) throw new OutputError(`output ${port.id}: the task returned no value for it`);
    out[port.id] = v;
  }
  return out;
}
