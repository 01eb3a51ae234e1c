/**
 * The run configuration's `path:` and `tools:` (docs/workflow-format.md,
 * docs/protocol.md §10.3): the fixed PATH command steps run with, and the
 * SHA-256 pins the executor checks before it executes a tool. Parsed here
 * into their compiled form; `pinsForCommand` picks the pins a step's command
 * needs, so an assignment carries only those.
 */
import path from 'node:path';
import type { SourceLocation } from '../errors.js';
import type { YNode } from './yaml-nodes.js';
import type { YamlSource } from './yaml-source.js';

/** The PATH of encrypted runs when the run configuration gives none. */
export const DEFAULT_TOOL_PATH = '/usr/local/bin:/usr/bin:/bin';

export interface ToolPin {
  /** Lower-case hex SHA-256 of the tool's file. */
  readonly sha256: string;
  /** Absolute path of the tool; absent: resolved on the fixed PATH by its name. */
  readonly path?: string;
  readonly loc: SourceLocation;
}

/** Tool name (a file name, no slash) -> its pin. */
export type ToolPins = Readonly<Record<string, ToolPin>>;

const PIN_KEYS = ['sha256', 'path'] as const;
const SHA256 = /^[0-9a-f]{64}$/;
const TOOL_NAME = /^[^/\s]+$/;

/** `path:` — a colon-separated list of absolute directories. */
export function parseToolPath(src: YamlSource, node: YNode | undefined): string {
  const v = src.string(node, '', 'path');
  const dirs = v.split(':');
  for (const d of dirs) {
    if (d === '' || !path.isAbsolute(d)) {
      throw src.error(node, '', `path must be a colon-separated list of absolute directories (e.g. '${DEFAULT_TOOL_PATH}'); '${d}' is ${d === '' ? 'empty' : 'relative'}. Workers must not depend on their own working directory.`);
    }
  }
  return dirs.join(':');
}

/** `tools:` — name -> `{ sha256: <64 hex>, path?: /absolute/file }`. */
export function parseToolPins(src: YamlSource, node: YNode | undefined): ToolPins {
  const pins: Record<string, ToolPin> = {};
  for (const e of src.entries(node, '', 'tools')) {
    const context = `tool "${e.key}"`;
    if (!TOOL_NAME.test(e.key)) throw src.error(e.keyNode, context, `a tool is named by its file name (such as 'samtools'), without '/' or spaces; give its location with 'path:'.`);
    if (e.value?.kind !== 'map') throw src.error(e.value ?? e.keyNode, context, `each tool is a map such as '{ sha256: <64 hex digits> }' or '{ sha256: ..., path: /usr/bin/${e.key} }'; 'sealflow tools pin ${e.key}' prints one.`);
    const f = src.fields(e.value, PIN_KEYS, context, 'a tool');
    const sha = f.get('sha256');
    if (sha === undefined) throw src.error(e.value, context, `a tool needs 'sha256: <64 hex digits>'; 'sealflow tools pin ${e.key}' prints it.`);
    const hex = src.string(sha.value, context, 'sha256').toLowerCase();
    if (!SHA256.test(hex)) throw src.error(sha.value, context, `sha256 must be 64 hexadecimal digits (the output of 'sha256sum'), not '${hex}' (${hex.length} characters).`);
    const p = f.get('path');
    let file: string | undefined;
    if (p !== undefined) {
      file = src.string(p.value, context, 'path');
      if (!path.isAbsolute(file)) throw src.error(p.value, context, `path must be absolute (e.g. /usr/bin/${e.key}), not '${file}'.`);
      if (path.basename(file) !== e.key) throw src.error(p.value, context, `path ${file} names a file other than '${e.key}'; the key is the tool's file name, as commands name it.`);
    }
    pins[e.key] = { sha256: hex, ...(file !== undefined ? { path: file } : {}), loc: src.loc(e.keyNode) };
  }
  return pins;
}

/**
 * The pins a command needs: its program's (by file name), and for a shell
 * script every pinned tool it names as a word. A program that is a `$(...)`
 * template is only known at the worker, so it gets every pin.
 */
export function pinsForCommand(argv: readonly string[], shell: boolean, pins: ToolPins): Record<string, { sha256: string; path?: string }> {
  const names = Object.keys(pins);
  let wanted: string[];
  if (shell) {
    const words = new Set(argv.join(' ').split(/[^A-Za-z0-9_.+/-]+/).map((w) => path.basename(w)));
    wanted = names.filter((n) => words.has(n));
  } else {
    const first = argv[0] ?? '';
    wanted = first.includes('$(') ? names : names.filter((n) => n === path.basename(first));
  }
  const out: Record<string, { sha256: string; path?: string }> = {};
  for (const n of wanted) {
    const p = pins[n] as ToolPin;
    out[n] = { sha256: p.sha256, ...(p.path !== undefined ? { path: p.path } : {}) };
  }
  return out;
}
