/**
 * Parsing one step of flow.yaml into a `RawStep`: everything the YAML says,
 * with input types still undecided where the YAML leaves them to the source
 * (`validate.ts` settles them once every step is known).
 */
import path from 'node:path';
import type { YNode } from './yaml-nodes.js';
import type { SourceLocation } from '../errors.js';
import type { CommandOutputBinding, CommandRun, PickValue, PortDef, Requirements, SourceRef, TaskRun, TeeRequirement } from './model.js';
import { didYouMean, listOf } from '../suggest.js';
import { parseMemory, parseTypeSpec } from './types.js';
import type { TypeSpec } from './types.js';
import type { Fields, YamlSource } from './yaml-source.js';

export const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const STEP_KEYS = ['run', 'command', 'shell', 'stdout', 'env', 'in', 'out', 'scatter', 'when', 'requirements', 'retries', 'doc'] as const;
const COMMAND_ONLY = ['shell', 'stdout', 'env'] as const;
const INPUT_KEYS = ['from', 'type', 'default', 'pickValue'] as const;
const OUTPUT_KEYS = ['type', 'glob', 'doc'] as const;
const REQUIREMENT_KEYS = ['threads', 'memory', 'tee'] as const;
export const TEE_REQUIREMENTS: readonly TeeRequirement[] = ['none', 'any', 'sgx', 'sev-snp', 'tdx'];
export const PICK_VALUES: readonly PickValue[] = ['first_non_null', 'the_only_non_null', 'all_non_null'];
/** Names `$(...)` may use in a command besides the step's inputs. */
export const COMMAND_BUILTINS = ['threads', 'memory'] as const;

export interface RawInput {
  readonly id: string;
  readonly declared?: TypeSpec;
  readonly sources: readonly SourceRef[];
  readonly pickValue?: PickValue;
  /** The default as plain YAML data; converted once the type is known. */
  readonly rawDefault?: unknown;
  readonly defaultLoc?: SourceLocation;
  readonly loc: SourceLocation;
}

export interface Named {
  readonly id: string;
  readonly loc: SourceLocation;
}

export interface RawStep {
  readonly id: string;
  readonly run: TaskRun | CommandRun;
  readonly inputs: readonly RawInput[];
  readonly outputs: readonly PortDef[];
  readonly scatter: readonly Named[];
  readonly when?: Named;
  readonly requirements: Requirements;
  readonly retries: number;
  readonly doc?: string;
  readonly loc: SourceLocation;
}

export function checkId(src: YamlSource, id: string, at: YNode, context: string, what: string): void {
  if (!ID_PATTERN.test(id)) {
    throw src.error(at, context, `'${id}' is not a valid ${what} id; ids start with a letter or '_' and contain only letters, digits, '_' and '-'.`);
  }
}

/** `corpus` or `split/chunks`. */
export function parseSource(src: YamlSource, node: YNode, context: string): SourceRef {
  const text = src.string(node, context, 'a source');
  const loc = src.loc(node);
  const parts = text.split('/');
  const ok = parts.every((p) => ID_PATTERN.test(p));
  if (ok && parts.length === 1) return { kind: 'workflow-input', input: text, loc };
  if (ok && parts.length === 2) return { kind: 'step-output', step: parts[0] ?? '', output: parts[1] ?? '', loc };
  const literal = node.kind === 'scalar' && typeof node.value !== 'string' ? ` To give a fixed value write '{ default: ${text} }'.` : '';
  throw src.error(node, context, `'${text}' is not a source; write a workflow input id ('corpus') or 'step/output' ('split/chunks').${literal}`);
}

export function parseSources(src: YamlSource, node: YNode | undefined, context: string): SourceRef[] {
  return src.items(node, context, 'from', true).map((n) => parseSource(src, n, context));
}

export function parseType(src: YamlSource, node: YNode | undefined, context: string): TypeSpec {
  const text = src.string(node, context, 'a type');
  const t = parseTypeSpec(text);
  if (typeof t === 'string') throw src.error(node, context, `${t}.`);
  return t;
}

export function parsePickValue(src: YamlSource, node: YNode | undefined, context: string): PickValue {
  const v = src.string(node, context, 'pickValue');
  if ((PICK_VALUES as readonly string[]).includes(v)) return v as PickValue;
  throw src.error(node, context, `unknown pickValue '${v}'${didYouMean(v, PICK_VALUES) || '.'} Use one of ${listOf(PICK_VALUES)}.`);
}

function parseInput(src: YamlSource, id: string, node: YNode | undefined, loc: SourceLocation, context: string): RawInput {
  if (node?.kind !== 'map') {
    if (src.isNull(node)) throw src.error(loc, context, `input '${id}' has no source; write '${id}: <source>' or '${id}: { default: ... }'.`);
    return { id, sources: parseSources(src, node, context), loc };
  }
  const f = src.fields(node, INPUT_KEYS, context, `input '${id}'`);
  const from = f.get('from');
  const type = f.get('type');
  const pick = f.get('pickValue');
  const def = f.get('default');
  const sources = from === undefined || src.isNull(from.value) ? [] : parseSources(src, from.value, context);
  if (pick !== undefined && sources.length === 0) throw src.error(pick.keyNode, context, `input '${id}' has pickValue but no 'from' sources to pick from.`);
  return {
    id,
    sources,
    loc,
    ...(type !== undefined ? { declared: parseType(src, type.value, context) } : {}),
    ...(pick !== undefined ? { pickValue: parsePickValue(src, pick.value, context) } : {}),
    ...(def !== undefined ? { rawDefault: src.toJS(def.value), defaultLoc: src.loc(def.value) } : {}),
  };
}

function parseOutput(src: YamlSource, id: string, node: YNode | undefined, loc: SourceLocation, context: string, isCommand: boolean): { def: PortDef; glob?: string } {
  if (node?.kind === 'map') {
    const f = src.fields(node, OUTPUT_KEYS, context, `output '${id}'`);
    const type = f.get('type');
    if (type === undefined) throw src.error(node, context, `output '${id}' needs a type, e.g. '{ type: file${isCommand ? ', glob: out.txt' : ''} }'.`);
    const spec = parseType(src, type.value, context);
    const glob = f.get('glob');
    const doc = f.get('doc');
    if (glob !== undefined && !isCommand) throw src.error(glob.keyNode, context, `output '${id}' has a glob, but globs apply only to command steps; a task returns its outputs.`);
    const def: PortDef = { id, type: spec.type, optional: spec.optional, loc, ...(doc !== undefined ? { doc: src.string(doc.value, context, 'doc') } : {}) };
    return glob === undefined ? { def } : { def, glob: src.string(glob.value, context, `the glob of output '${id}'`) };
  }
  const spec = parseType(src, node, context);
  return { def: { id, type: spec.type, optional: spec.optional, loc } };
}

function parseRequirements(src: YamlSource, node: YNode | undefined, context: string): Requirements {
  if (node === undefined) return { threads: 1, tee: 'none' };
  const f = src.fields(node, REQUIREMENT_KEYS, context, 'requirements');
  const threads = f.get('threads');
  const memory = f.get('memory');
  const tee = f.get('tee');
  let teeValue: TeeRequirement = 'none';
  if (tee !== undefined) {
    const t = src.string(tee.value, context, 'tee');
    if (!(TEE_REQUIREMENTS as readonly string[]).includes(t)) {
      throw src.error(tee.value, context, `unknown tee requirement '${t}'${didYouMean(t, TEE_REQUIREMENTS) || '.'} Use one of ${listOf(TEE_REQUIREMENTS)}.`);
    }
    teeValue = t as TeeRequirement;
  }
  let bytes: number | undefined;
  if (memory !== undefined) {
    bytes = parseMemory(src.toJS(memory.value));
    if (bytes === undefined) {
      throw src.error(memory.value, context, `memory must be a positive size such as 512MiB, 2GB or a number of bytes (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), not ${JSON.stringify(src.toJS(memory.value))}.`);
    }
  }
  return {
    threads: threads === undefined ? 1 : src.integer(threads.value, 1, context, 'threads'),
    tee: teeValue,
    loc: src.loc(node),
    ...(bytes !== undefined ? { memory: bytes } : {}),
  };
}

function parseRun(src: YamlSource, node: YNode | undefined, context: string): TaskRun {
  const text = src.string(node, context, 'run');
  const hash = text.lastIndexOf('#');
  const modulePath = hash < 0 ? text : text.slice(0, hash);
  const exportName = hash < 0 ? 'default' : text.slice(hash + 1);
  if (modulePath === '' || !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(exportName)) {
    throw src.error(node, context, `run '${text}' must be 'module-path#exportName', e.g. './tasks/map.ts#map'.`);
  }
  return { kind: 'task', module: path.resolve(path.dirname(src.file), modulePath), export: exportName, loc: src.loc(node) };
}

function parseCommand(src: YamlSource, f: Fields, context: string, globs: Record<string, CommandOutputBinding>): CommandRun {
  const cmd = f.get('command');
  const shellEntry = f.get('shell');
  const shell = shellEntry === undefined ? false : src.boolean(shellEntry.value, context, 'shell');
  const cmdNode = cmd?.value;
  if (!shell && cmdNode?.kind === 'scalar' && typeof cmdNode.value === 'string') {
    throw src.error(cmdNode, context, `command must be a list of arguments, e.g. [${cmdNode.value.split(/\s+/).join(', ')}] (no shell is involved); to run it through a shell, add 'shell: true'.`);
  }
  const items = src.items(cmdNode, context, 'command', shell);
  const argv = items.map((n) => src.string(n, context, 'each command argument'));
  if (argv.length === 0 || argv[0] === '') throw src.error(cmdNode ?? cmd?.keyNode, context, `command is empty; write the program and its arguments as a list, e.g. [sort, $(text)].`);
  const first = argv[0] ?? '';
  if (first.includes('/') && !path.isAbsolute(first) && !first.includes('$(') && !shell) argv[0] = path.resolve(path.dirname(src.file), first);
  const stdout = f.get('stdout');
  const env: Record<string, string> = {};
  const envEntry = f.get('env');
  if (envEntry !== undefined) {
    for (const e of src.entries(envEntry.value, context, 'env')) env[e.key] = src.string(e.value, context, `env ${e.key}`);
  }
  return {
    kind: 'command',
    argv,
    shell,
    outputs: globs,
    env,
    loc: src.loc(cmdNode ?? cmd?.keyNode),
    ...(stdout !== undefined ? { stdout: src.string(stdout.value, context, 'stdout') } : {}),
  };
}

export function parseStep(src: YamlSource, id: string, keyNode: YNode, node: YNode | undefined): RawStep {
  const context = `step "${id}"`;
  checkId(src, id, keyNode, 'step', 'step');
  const loc = src.loc(keyNode);
  const f = src.fields(node, STEP_KEYS, context, 'a step');
  const isCommand = f.has('command');
  if (isCommand === f.has('run')) {
    throw src.error(keyNode, context, isCommand ? `has both 'run' and 'command'; a step is either a TypeScript task (run) or a command.` : `needs 'run: ./module.ts#export' (a TypeScript task) or 'command: [program, args...]'.`);
  }
  if (!isCommand) {
    for (const k of COMMAND_ONLY) {
      const e = f.get(k);
      if (e !== undefined) throw src.error(e.keyNode, context, `'${k}' applies only to command steps; this step runs a TypeScript task.`);
    }
  }
  const inputs: RawInput[] = [];
  for (const e of src.entries(f.get('in')?.value, context, 'in')) {
    checkId(src, e.key, e.keyNode, context, 'input');
    inputs.push(parseInput(src, e.key, e.value, src.loc(e.keyNode), context));
  }
  const outputs: PortDef[] = [];
  const globs: Record<string, CommandOutputBinding> = {};
  for (const e of src.entries(f.get('out')?.value, context, 'out')) {
    checkId(src, e.key, e.keyNode, context, 'output');
    const o = parseOutput(src, e.key, e.value, src.loc(e.keyNode), context, isCommand);
    if (isCommand) {
      if (o.glob === undefined) throw src.error(e.keyNode, context, `output '${e.key}' of a command needs a glob naming the file it writes: '${e.key}: { type: file, glob: out.txt }'.`);
      globs[e.key] = { glob: o.glob };
    }
    outputs.push(o.def);
  }
  const scatterEntry = f.get('scatter');
  const scatter: Named[] = scatterEntry === undefined ? [] : src.items(scatterEntry.value, context, 'scatter', true).map((n) => ({ id: src.string(n, context, 'scatter'), loc: src.loc(n) }));
  const whenEntry = f.get('when');
  const retriesEntry = f.get('retries');
  const docEntry = f.get('doc');
  return {
    id,
    run: isCommand ? parseCommand(src, f, context, globs) : parseRun(src, f.get('run')?.value, context),
    inputs,
    outputs,
    scatter,
    requirements: parseRequirements(src, f.get('requirements')?.value, context),
    retries: retriesEntry === undefined ? 0 : src.integer(retriesEntry.value, 0, context, 'retries'),
    loc,
    ...(whenEntry !== undefined ? { when: { id: src.string(whenEntry.value, context, 'when'), loc: src.loc(whenEntry.value) } } : {}),
    ...(docEntry !== undefined ? { doc: src.string(docEntry.value, context, 'doc') } : {}),
  };
}
