/**
 * `loadInputs`: the values of a workflow's inputs, from an inputs file
 * (`inputs.yaml` beside flow.yaml by default), `--input name=value`
 * overrides and the declared defaults. Paths become `{class, path}` values
 * with absolute paths, and every file or directory must exist.
 *
 * A resumed run passes the values its journal recorded: they take the place
 * of the default inputs.yaml (which still gives inputs the recorded run did
 * not have), an explicit inputs file and `--input` override them, and they are
 * checked against the workflow as it is now exactly like given values.
 */
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';
import type { SourceLocation } from '../errors.js';
import type { PortDef, PortValue, Workflow } from './model.js';
import { formatType } from './model.js';
import { didYouMean, listOf } from '../suggest.js';
import { baseOf, isFileLike } from './types.js';
import { coerceValue, pathsIn } from './values.js';
import { YamlSource, displayPath, inputError, where } from './yaml-source.js';
import { inPlaceRef, inPlaceValue } from './in-place.js';

export const INPUTS_FILE = 'inputs.yaml';

export interface InputOptions {
  /** An inputs YAML file; default: inputs.yaml beside the workflow, if present. */
  readonly file?: string;
  /** `--input name=value` pairs, already split at the first '='. */
  readonly overrides?: Readonly<Record<string, string>>;
  /** A resumed run's recorded values, and what to call them in messages (e.g. `--resume ID: recorded input`). */
  readonly recorded?: { readonly values: Readonly<Record<string, PortValue>>; readonly label: string };
}

/** Where a value came from, for messages. */
type Origin = { readonly loc: SourceLocation } | { readonly flag: string };

function fail(o: Origin, message: string): InputError {
  return 'loc' in o ? inputError(o.loc, '', message) : new InputError(`${o.flag}: ${message}`);
}

export { parseInputFlag } from './input-flag.js';

/** An override's text as the plain value its port type calls for. */
async function parseOverride(port: PortDef, text: string, flag: string): Promise<unknown> {
  const t = port.type;
  if (port.optional && text === '') return null;
  switch (t.kind) {
    case 'file':
    case 'directory':
    case 'string':
      return text;
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw new InputError(`${flag}: input '${port.id}' is a number, but '${text}' is not one.`);
      return n;
    }
    case 'boolean':
      if (text === 'true' || text === 'false') return text === 'true';
      throw new InputError(`${flag}: input '${port.id}' is boolean; give true or false, not '${text}'.`);
    case 'json':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new InputError(`${flag}: input '${port.id}' is json, but '${text}' is not valid JSON.`);
      }
    case 'array': {
      let v: unknown;
      try {
        const doc = await YamlSource.parse(path.resolve('--input'), text);
        v = doc.toJS(doc.root);
      } catch {
        v = undefined;
      }
      if (!Array.isArray(v)) throw new InputError(`${flag}: input '${port.id}' is ${formatType(t)}; give a list such as '[a.txt, b.txt]'.`);
      return v;
    }
  }
}

/** coerceValue, but a file already on a deployment's hosts (`{ deployment, path }`, ./in-place.ts) stays as it is written. */
function coerce(raw: unknown, port: PortDef, baseDir: string): ReturnType<typeof coerceValue> {
  const inPlace = port.type.kind === 'file' ? inPlaceValue(raw) : undefined;
  if (typeof inPlace === 'string') return { error: inPlace };
  return inPlace !== undefined ? { value: inPlace } : coerceValue(raw, port.type, port.optional, baseDir);
}

async function checkPaths(port: PortDef, value: PortValue, origin: Origin): Promise<void> {
  if (value === null) return;
  if (!isFileLike({ kind: baseOf(port.type) })) return;
  const checks: Promise<void>[] = [];
  for (const p of pathsIn(value)) {
    if (inPlaceRef(p.path)) continue; // on a deployment's hosts: checked against its data manifest (run-plan.ts)
    checks.push(
      stat(p.path).then(
        (st) => {
          if (p.class === 'File' && !st.isFile()) throw fail(origin, `input '${port.id}': ${displayPath(p.path)} is not a regular file; give the path of a file.`);
          if (p.class === 'Directory' && !st.isDirectory()) throw fail(origin, `input '${port.id}': ${displayPath(p.path)} is not a directory; give the path of a directory.`);
        },
        () => {
          throw fail(origin, `input '${port.id}': ${p.class === 'File' ? 'file' : 'directory'} ${displayPath(p.path)} does not exist; check the path${'loc' in origin ? ' (relative paths are relative to the file that names them)' : ' (relative to the current directory)'}.`);
        },
      ),
    );
  }
  await Promise.all(checks);
}

export async function loadInputs(workflow: Workflow, opts: InputOptions = {}): Promise<Record<string, PortValue>> {
  const ports = new Map(workflow.inputs.map((p) => [p.id, p]));
  const ids = [...ports.keys()];
  let file = opts.file === undefined ? undefined : path.resolve(opts.file);
  if (file === undefined) {
    const beside = path.join(path.dirname(workflow.file), INPUTS_FILE);
    if (await access(beside).then(() => true, () => false)) file = beside;
  }
  const given = new Map<string, { value: PortValue; origin: Origin }>();
  const rec = opts.recorded;
  for (const [name, value] of Object.entries(rec?.values ?? {})) {
    const port = ports.get(name);
    if (port === undefined) continue; // an input the edited workflow no longer has
    const origin = { flag: `${rec?.label ?? 'recorded input'} ${name}` };
    const c = coerce(value, port, process.cwd());
    if ('error' in c) throw fail(origin, `input '${name}' is now ${formatType(port.type)}${port.optional ? '?' : ''}: ${c.error}; give a new value with --input ${name}=<value>.`);
    given.set(name, { value: c.value, origin });
  }
  // The default inputs.yaml gives what was not recorded; an explicit inputs file overrides the record.
  const fileWins = opts.file !== undefined || rec === undefined;
  if (file !== undefined) {
    const src = await YamlSource.read(file, 'inputs file');
    const dir = path.dirname(file);
    for (const e of src.entries(src.root, '', 'an inputs file')) {
      const port = ports.get(e.key);
      if (!fileWins && given.has(e.key)) continue;
      if (port === undefined) {
        throw src.error(e.keyNode, '', `'${e.key}' is not an input of workflow ${workflow.name}${didYouMean(e.key, ids) || '.'} Its inputs: ${ids.length === 0 ? 'none' : listOf(ids)}.`);
      }
      const c = coerce(src.toJS(e.value), port, dir);
      const loc = src.loc(e.value);
      if ('error' in c) throw inputError(loc, '', `input '${e.key}' is ${formatType(port.type)}${port.optional ? '?' : ''}: ${c.error}.`);
      given.set(e.key, { value: c.value, origin: { loc } });
    }
  }
  for (const [name, text] of Object.entries(opts.overrides ?? {})) {
    const flag = `--input ${name}=${text}`;
    const port = ports.get(name);
    if (port === undefined) throw new InputError(`${flag}: workflow ${workflow.name} has no input '${name}'${didYouMean(name, ids) || '.'} Its inputs: ${ids.length === 0 ? 'none' : listOf(ids)}.`);
    const c = coerceValue(await parseOverride(port, text, flag), port.type, port.optional, process.cwd());
    if ('error' in c) throw new InputError(`${flag}: input '${name}' is ${formatType(port.type)}: ${c.error}.`);
    given.set(name, { value: c.value, origin: { flag } });
  }
  const values: Record<string, PortValue> = {};
  const checks: Promise<void>[] = [];
  for (const port of workflow.inputs) {
    const g = given.get(port.id);
    if (g !== undefined) {
      values[port.id] = g.value;
      checks.push(checkPaths(port, g.value, g.origin));
    } else if (port.default !== undefined) {
      values[port.id] = port.default;
      checks.push(checkPaths(port, port.default, { loc: port.loc }));
    } else if (port.optional) {
      values[port.id] = null;
    } else {
      const hint = `add '${port.id}: <value>' to ${file === undefined ? `an ${INPUTS_FILE} beside the workflow` : displayPath(file)} or pass --input ${port.id}=<value>`;
      const at = file === undefined ? `${where(port.loc)}: workflow input "${port.id}"` : `${displayPath(file)}:1:1: workflow input "${port.id}" (declared at ${where(port.loc)})`;
      throw new InputError(`${at}: the input is required (type ${formatType(port.type)}) but has no value; ${hint}.`);
    }
  }
  await Promise.all(checks);
  return values;
}
