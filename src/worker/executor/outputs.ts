/**
 * Turning what an attempt left in its scratch directory into port values:
 * command outputs by glob, task outputs from the returned object; each file
 * value carries its size and SHA-256 and its path in the instance's output
 * directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PortType, PortValue } from '../../workflow/model.js';
import type { AssignMsg } from '../../protocol/execution.js';
import { digestFileSync } from '../../crypto/digest-file.js';
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

const ensured = new Set<string>();
/** mkdir -p, remembered: each step's parent directories are created once per executor. */
export function ensureDir(dir: string): void {
  if (ensured.has(dir)) return;
  fs.mkdirSync(dir, { recursive: true });
  ensured.add(dir);
}

/** The age file name of an output (docs/protocol.md §10.1): `counts.tsv` → `counts.tsv.age`, a directory `d` → `d.tar.age`. */
export function sealedName(name: string, kind: 'file' | 'directory'): string {
  return kind === 'file' ? `${name}.age` : `${name}.tar.age`;
}

/**
 * Collects an attempt's outputs.
 *
 * Plain (unencrypted) runs: when the attempt is done, its scratch directory
 * *becomes* the instance's output directory (one rename), and whatever in it
 * is not an output is deleted. Renaming instead of creating, moving into and
 * removing directories keeps the per-step path lean: on some file systems
 * (ext4 here) each rmdir costs milliseconds.
 *
 * Sealed (encrypted) runs: nothing moves. Each output's final path is its
 * age file in the output directory (`sealedName`), and the attested executor
 * encrypts it there from scratch (`sourceOf`), so no plaintext ever enters
 * the output directory (§10.8).
 */
export class Keeper {
  private readonly kept = new Map<string, { now: string; final: string }>();
  private readonly sources = new Map<string, string>();
  private readonly topLevel = new Set<string>();
  constructor(
    private readonly scratch: string,
    private readonly outDir: string,
    readonly sealed = false,
  ) {}

  /** Marks a file or directory as an output (plain runs: copying it into scratch if it lives elsewhere). */
  keep(p: string, kind: 'file' | 'directory' = 'file'): { now: string; final: string } {
    const abs = path.resolve(this.scratch, p);
    const done = this.kept.get(abs);
    if (done) return done;
    let rel = path.relative(this.scratch, abs);
    if (rel === '') throw new OutputError('an output cannot be the whole scratch directory; write it into a subdirectory');
    let now = path.join(this.scratch, rel);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      rel = path.join('_external', String(this.kept.size), path.basename(abs));
      if (this.sealed) now = abs; // sealed from where it is: no plaintext copy
      else {
        fs.mkdirSync(path.dirname(now = path.join(this.scratch, rel)), { recursive: true });
        fs.cpSync(abs, now, { recursive: true });
      }
    }
    this.topLevel.add(rel.split(path.sep)[0] as string);
    const r = { now, final: path.join(this.outDir, this.sealed ? sealedName(rel, kind) : rel) };
    this.kept.set(abs, r);
    this.sources.set(r.final, now);
    return r;
  }

  /** Sealed runs: where the plaintext of the output whose final path is `final` is (in scratch). */
  sourceOf(final: string): string {
    const now = this.sources.get(final);
    if (now === undefined) throw new OutputError(`${final} is not an output of this attempt`);
    return now;
  }

  /** Plain runs: turns scratch into the output directory; the scratch path no longer exists afterwards. Sealed runs: nothing. */
  finish(): void {
    if (this.sealed) return;
    ensureDir(path.dirname(this.outDir));
    if (fs.existsSync(this.outDir)) fs.rmSync(this.outDir, { recursive: true, force: true });
    fs.renameSync(this.scratch, this.outDir);
    for (const name of fs.readdirSync(this.outDir)) {
      if (!this.topLevel.has(name)) fs.rmSync(path.join(this.outDir, name), { recursive: true, force: true });
    }
  }
}

/** SHA-256 of zero bytes (FIPS 180-4 test vector); saves an open+read for empty outputs. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Off in the attested executor: it seals every output file and reports the ciphertext's hash instead (protocol §10.5). */
let hashPlaintextOutputs = true;
export function skipPlaintextOutputHashes(): void {
  hashPlaintextOutputs = false;
}

export function fileValue(at: { now: string; final: string }): PortValue {
  const size = fs.statSync(at.now).size;
  if (!hashPlaintextOutputs) return { class: 'File', path: at.final, size };
  return { class: 'File', path: at.final, size, sha256: size === 0 ? EMPTY_SHA256 : digestFileSync(at.now) };
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
  keeper: Keeper,
): Record<string, PortValue> {
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
      if (base === 'file') return fileValue(keeper.keep(abs));
      if (base === 'directory') return { class: 'Directory', path: keeper.keep(abs, 'directory').final };
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
export function convertTaskOutputs(msg: AssignMsg, returned: unknown, keeper: Keeper): Record<string, PortValue> {
  if (typeof returned !== 'object' || returned === null) throw new OutputError(`the task returned ${JSON.stringify(returned)}, not an object of outputs`);
  const r = returned as Record<string, unknown>;
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
        const at = keeper.keep(abs, t.kind);
        return t.kind === 'file' ? fileValue(at) : { class: 'Directory', path: at.final };
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
