/** Builds small `Workflow` objects in code for engine tests (the YAML loader is tested elsewhere). */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import type { PickValue, PortDef, PortType, PortValue, SourceRef, Step, StepInput, Workflow, WorkflowOutput } from '../../src/workflow/model.js';
import { executeRun, type RunOutcome, type RunRequest } from '../../src/engine/run.js';
import type { RunEvent } from '../../src/engine/events.js';
import { readJournal } from '../../src/engine/journal.js';
import { RunDir } from '../../src/engine/run-dir.js';

const loc = { file: '/test/flow.yaml', line: 1, column: 1 };

export function type(spec: string): PortType {
  if (spec.endsWith('[]')) return { kind: 'array', items: type(spec.slice(0, -2)) };
  return { kind: spec as 'file' };
}

export function src(s: string): SourceRef {
  const [a, b] = s.split('/');
  return b === undefined ? { kind: 'workflow-input', input: a as string, loc } : { kind: 'step-output', step: a as string, output: b, loc };
}

export interface InSpec {
  readonly type: string;
  readonly from?: string | readonly string[];
  readonly pickValue?: PickValue;
  readonly default?: PortValue;
  readonly optional?: boolean;
}

function inputs(spec: Readonly<Record<string, InSpec>>): StepInput[] {
  return Object.entries(spec).map(([id, s]) => ({
    id,
    type: type(s.type),
    optional: s.optional ?? false,
    sources: s.from === undefined ? [] : (typeof s.from === 'string' ? [s.from] : s.from).map(src),
    ...(s.pickValue ? { pickValue: s.pickValue } : {}),
    ...(s.default !== undefined ? { default: s.default } : {}),
    loc,
  }));
}

function ports(spec: Readonly<Record<string, string>>): PortDef[] {
  return Object.entries(spec).map(([id, t]) => ({ id, type: type(t.replace(/\?$/, '')), optional: t.endsWith('?'), loc }));
}

export interface CmdSpec {
  readonly argv: readonly string[];
  readonly shell?: boolean;
  readonly stdout?: string;
  readonly in?: Readonly<Record<string, InSpec>>;
  /** id -> "type glob" */
  readonly out?: Readonly<Record<string, string>>;
  readonly scatter?: readonly string[];
  readonly when?: string;
  readonly retries?: number;
}

export function cmd(id: string, s: CmdSpec): Step {
  const outs = Object.entries(s.out ?? {}).map(([k, v]) => [k, v.split(' ')] as const);
  return {
    id,
    run: {
      kind: 'command',
      argv: s.argv,
      shell: s.shell ?? false,
      ...(s.stdout ? { stdout: s.stdout } : {}),
      outputs: Object.fromEntries(outs.map(([k, [, glob]]) => [k, { glob: glob as string }])),
      env: {},
    },
    inputs: inputs(s.in ?? {}),
    outputs: ports(Object.fromEntries(outs.map(([k, [t]]) => [k, t as string]))),
    scatter: s.scatter ?? [],
    ...(s.when ? { when: s.when } : {}),
    requirements: { threads: 1, tee: 'none' },
    retries: s.retries ?? 0,
    loc,
  };
}

export function task(id: string, module: string, exp: string, s: { in?: Record<string, InSpec>; out?: Record<string, string>; scatter?: string[] }): Step {
  return {
    id,
    run: { kind: 'task', module, export: exp },
    inputs: inputs(s.in ?? {}),
    outputs: ports(s.out ?? {}),
    scatter: s.scatter ?? [],
    requirements: { threads: 1, tee: 'none' },
    retries: 0,
    loc,
  };
}

export function workflow(steps: Step[], opts: { inputs?: Record<string, string>; outputs?: Record<string, { type: string; from: string | string[]; pickValue?: PickValue }> } = {}): Workflow {
  const outs: WorkflowOutput[] = Object.entries(opts.outputs ?? {}).map(([id, o]) => ({
    id,
    type: type(o.type),
    sources: (typeof o.from === 'string' ? [o.from] : o.from).map(src),
    ...(o.pickValue ? { pickValue: o.pickValue } : {}),
    loc,
  }));
  return { name: 'test', file: path.join(os.tmpdir(), 'flow.yaml'), inputs: ports(opts.inputs ?? {}), outputs: outs, steps };
}

export function tmpDir(prefix = 'sealflow-engine-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Runs a workflow on local workers (platform none) in a fresh state dir. */
export function run(
  wf: Workflow,
  opts: Partial<Omit<RunRequest, 'workflow'>> & { stateDir?: string } = {},
): Promise<RunOutcome> {
  return executeRun({
    workflow: wf,
    inputs: opts.inputs ?? {},
    stateDir: opts.stateDir ?? tmpDir(),
    deployments: [{ id: 'local', connector: 'local', platform: 'none', workers: 2, options: {} }],
    deploymentFor: () => 'local',
    concurrency: opts.concurrency ?? 2,
    keepGoing: opts.keepGoing ?? false,
    ...(opts.resumeId ? { resumeId: opts.resumeId } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
}

export function events(runDir: RunDir): RunEvent[] {
  return readJournal(runDir.journal).events;
}

export function fileText(v: PortValue | undefined): string {
  const p = (v as { path?: string } | null)?.path;
  if (!p) throw new Error(`not a file value: ${JSON.stringify(v)}`);
  return fs.readFileSync(p, 'utf8');
}
