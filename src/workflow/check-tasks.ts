/**
 * `checkTasks`: what `loadWorkflow` cannot see from the YAML alone.
 *
 * - TypeScript task steps: the module exists and has the named export (esbuild
 *   bundles every task module once, in-process, and its metafile lists the
 *   exports: fast and without running task code); then the export's
 *   `defineTask({ inputs, outputs })` declaration must agree with the step's
 *   ports. Declarations can be computed (spreads, shared constants), so a
 *   static parse would be guesswork; instead one child process imports the
 *   bundles and writes the declarations to a file, with a timeout (SIGKILL),
 *   a heap limit and only PATH in its environment. A child process rather
 *   than a worker thread: a worker shares the master's address space (it
 *   could read /proc/self/mem, and with it the keys the master holds), a
 *   child does not and cannot ptrace its parent. The check costs one node
 *   start-up per workflow (~50 ms idle), not one per step.
 * - Command steps: the program is on PATH or an executable path.
 * - Step input defaults that are files or directories exist.
 */
import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BuildFailure, Message, Plugin } from 'esbuild';
import { InputError } from '../errors.js';
import { checkCommands, checkDefaults } from './check-commands.js';
import type { SpecReply, SpecRequest } from './task-specs-child.js';
import type { Step, TaskRun, Workflow } from './model.js';
import { formatType, sameType } from './model.js';
import { didYouMean, listOf } from '../suggest.js';
import { parseTypeSpec } from './types.js';
import type { TypeSpec } from './types.js';
import { displayPath, inputError } from './yaml-source.js';

export interface CheckOptions {
  /** PATH used to find command programs; default process.env.PATH. */
  readonly path?: string;
  /** Tool name -> the absolute path a run configuration pin gives it (docs/protocol.md §10.3). */
  readonly pinnedPaths?: ReadonlyMap<string, string>;
  /** `path` is the fixed PATH of the run (`path:` or the encrypted default), not the user's: say so in messages. */
  readonly fixedPath?: boolean;
  /** Limit for importing the task modules in the child process. Default 20 s. */
  readonly timeoutMs?: number;
}

export interface TaskSpec {
  readonly inputs: Readonly<Record<string, TypeSpec>>;
  readonly outputs: Readonly<Record<string, TypeSpec>>;
}

export interface CheckedTasks {
  /** `module#export` -> the task's declared ports. */
  readonly tasks: ReadonlyMap<string, TaskSpec>;
  /** Step id -> absolute path of the command's program. */
  readonly programs: ReadonlyMap<string, string>;
}

/** dist/src/index.js: what `import ... from 'sealflow'` means inside a task. */
const SEALFLOW_ENTRY = fileURLToPath(new URL('../index.js', import.meta.url));
const SPEC_CHILD = fileURLToPath(new URL('./task-specs-child.js', import.meta.url));

const sealflowPlugin: Plugin = {
  name: 'sealflow-api',
  setup(b) {
    b.onResolve({ filter: /^sealflow$/ }, () => ({ path: pathToFileURL(SEALFLOW_ENTRY).href, external: true }));
  },
};

export async function checkTasks(workflow: Workflow, opts: CheckOptions = {}): Promise<CheckedTasks> {
  const programs = await checkCommands(workflow.steps, opts.path ?? process.env['PATH'] ?? '', opts.pinnedPaths, opts.fixedPath === true);
  await checkDefaults(workflow.steps);
  const taskSteps = workflow.steps.filter((s): s is Step & { run: TaskRun } => s.run.kind === 'task');
  const tasks = new Map<string, TaskSpec>();
  if (taskSteps.length === 0) return { tasks, programs };
  const byModule = new Map<string, Array<Step & { run: TaskRun }>>();
  for (const s of taskSteps) {
    const list = byModule.get(s.run.module) ?? [];
    list.push(s);
    byModule.set(s.run.module, list);
  }
  for (const [mod, steps] of byModule) {
    if (!(await access(mod).then(() => true, () => false))) {
      const s = steps[0] as Step & { run: TaskRun };
      throw inputError(s.run.loc ?? s.loc, `step "${s.id}"`, `task module ${displayPath(mod)} does not exist; 'run' paths are relative to the workflow file.`);
    }
  }
  const bundles = await bundle([...byModule.keys()], byModule);
  for (const [mod, b] of bundles) {
    for (const s of byModule.get(mod) ?? []) {
      if (!b.exports.includes(s.run.export)) {
        const hint = didYouMean(s.run.export, b.exports);
        throw inputError(s.run.loc ?? s.loc, `step "${s.id}"`, `task module ${displayPath(mod)} has no export named '${s.run.export}'${hint || '.'} Its exports: ${b.exports.length === 0 ? 'none' : listOf(b.exports)}. Export the task with 'export const ${s.run.export} = defineTask({...})'.`);
      }
    }
  }
  const specs = await readSpecs(bundles, byModule, opts.timeoutMs ?? 20_000);
  for (const [mod, steps] of byModule) {
    for (const s of steps) {
      const key = `${mod}#${s.run.export}`;
      const spec = specs.get(key);
      if (spec === undefined) {
        throw inputError(s.run.loc ?? s.loc, `step "${s.id}"`, `export '${s.run.export}' of ${displayPath(mod)} is not a task; define it with 'defineTask({ inputs, outputs, run })' from 'sealflow'.`);
      }
      compare(s, spec);
      tasks.set(key, spec);
    }
  }
  return { tasks, programs };
}

interface Bundle {
  readonly code: string;
  readonly exports: readonly string[];
}

async function bundle(modules: readonly string[], byModule: ReadonlyMap<string, ReadonlyArray<Step & { run: TaskRun }>>): Promise<Map<string, Bundle>> {
  const outdir = path.join(os.tmpdir(), 'sealflow-check');
  const { build } = await import('esbuild');
  let result;
  try {
    result = await build({
      entryPoints: modules.map((m, i) => ({ in: m, out: `m${i}` })),
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outdir,
      absWorkingDir: '/',
      logLevel: 'silent',
      // CommonJS dependencies inside an ESM bundle still call require().
      banner: { js: "import { createRequire as __sfCreateRequire } from 'node:module'; const require = __sfCreateRequire(import.meta.url);" },
      plugins: [sealflowPlugin],
    });
  } catch (e) {
    const first: Message | undefined = (e as BuildFailure).errors?.[0];
    if (first === undefined) throw e;
    const culprit = first.location === null ? modules[0] : path.resolve('/', first.location.file);
    const s = [...byModule.values()].flat().find((x) => x.run.module === culprit) ?? [...byModule.values()].flat()[0];
    const at = first.location === null ? '' : `${displayPath(path.resolve('/', first.location.file))}:${first.location.line}:${first.location.column + 1}: `;
    const ctx = s === undefined ? '' : `step "${s.id}"`;
    const msg = `cannot load the task module: ${at}${first.text}; fix the module (it must be valid TypeScript/JavaScript whose imports resolve).`;
    throw s === undefined ? new InputError(msg) : inputError(s.run.loc ?? s.loc, ctx, msg);
  }
  const out = new Map<string, Bundle>();
  const files = new Map(result.outputFiles.map((f) => [f.path, f.text]));
  for (const [outPath, meta] of Object.entries(result.metafile.outputs)) {
    // Output m<i>.js belongs to modules[i] (the metafile's entryPoint is the real path, which differs through symlinks).
    const i = /(?:^|\/)m(\d+)\.js$/.exec(outPath)?.[1];
    const mod = i === undefined ? undefined : modules[Number(i)];
    if (meta.entryPoint === undefined || mod === undefined) continue;
    out.set(mod, { code: files.get(path.resolve('/', outPath)) ?? '', exports: meta.exports });
  }
  return out;
}

/** Runs the child that imports the bundles; rejects with an InputError when it fails or outlives `timeoutMs`. */
function runSpecChild(dir: string, requests: readonly SpecRequest[], modules: readonly string[], timeoutMs: number): Promise<SpecReply> {
  const what = `cannot read the task declarations of ${modules.map(displayPath).join(', ')}`;
  const resultFile = path.join(dir, 'result.json');
  return new Promise<SpecReply>((resolve, reject) => {
    // A fresh node without the master's flags; only PATH in its environment (the master's may hold passphrases).
    execFile(
      process.execPath,
      ['--max-old-space-size=1024', SPEC_CHILD, resultFile, JSON.stringify(requests)],
      { cwd: dir, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20, env: { PATH: process.env['PATH'] ?? '' } },
      (err, _stdout, stderr) => {
        if (err !== null) {
          const why = err.killed || err.signal === 'SIGKILL'
            ? `importing them took longer than ${timeoutMs / 1000} s (top-level code of a task module should only define tasks)`
            : `importing them failed: ${String(stderr).trim().split('\n')[0] || `exit status ${String(err.code)}`}`;
          reject(new InputError(`${what}: ${why}. Fix the module's top-level code.`));
          return;
        }
        readFile(resultFile, 'utf8').then(
          (text) => resolve(JSON.parse(text) as SpecReply),
          () => reject(new InputError(`${what}: the module ended the import (process.exit?) before its tasks were read. Fix the module's top-level code.`)),
        );
      },
    );
  });
}

async function readSpecs(bundles: ReadonlyMap<string, Bundle>, byModule: ReadonlyMap<string, ReadonlyArray<Step & { run: TaskRun }>>, timeoutMs: number): Promise<Map<string, TaskSpec>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sealflow-check-'));
  try {
    const requests: Array<SpecRequest & { module: string }> = [];
    let i = 0;
    for (const [mod, b] of bundles) {
      const file = path.join(dir, `m${i++}.mjs`);
      await writeFile(file, b.code, { mode: 0o600 });
      requests.push({ url: pathToFileURL(file).href, exports: [...new Set((byModule.get(mod) ?? []).map((s) => s.run.export))], module: mod });
    }
    const raw = await runSpecChild(
      dir,
      requests.map(({ url, exports }) => ({ url, exports })),
      requests.map((r) => r.module),
      timeoutMs,
    );
    const specs = new Map<string, TaskSpec>();
    for (const r of requests) {
      for (const [name, spec] of Object.entries(raw[r.url] ?? {})) {
        if (spec !== null) specs.set(`${r.module}#${name}`, { inputs: parsePorts(spec.inputs, r.module, name, 'inputs'), outputs: parsePorts(spec.outputs, r.module, name, 'outputs') });
      }
    }
    return specs;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function parsePorts(v: unknown, mod: string, name: string, which: string): Record<string, TypeSpec> {
  if (typeof v !== 'object' || v === null) throw new InputError(`${displayPath(mod)}: task '${name}' declares ${which} that are not a map of port id -> type; fix its defineTask call.`);
  const out: Record<string, TypeSpec> = {};
  for (const [id, t] of Object.entries(v)) {
    const spec = typeof t === 'string' ? parseTypeSpec(t) : `not a type string`;
    if (typeof spec === 'string') throw new InputError(`${displayPath(mod)}: task '${name}' declares ${which.slice(0, -1)} '${id}' with an invalid type: ${spec}.`);
    out[id] = spec;
  }
  return out;
}

/** The step's ports must be the task's ports, with equal types. */
function compare(step: Step & { run: TaskRun }, spec: TaskSpec): void {
  const ctx = `step "${step.id}"`;
  const task = `task '${step.run.export}' (${displayPath(step.run.module)})`;
  const declared = Object.keys(spec.inputs);
  for (const input of step.inputs) {
    const t = spec.inputs[input.id];
    if (t === undefined) throw inputError(input.loc, ctx, `input '${input.id}' is not an input of ${task}${didYouMean(input.id, declared) || '.'} The task's inputs: ${declared.length === 0 ? 'none' : listOf(declared)}.`);
    if (!sameType(t.type, input.type)) {
      const scattered = step.scatter.includes(input.id) ? ' per scatter instance' : '';
      throw inputError(input.loc, ctx, `type mismatch: input '${input.id}' is ${formatType(input.type)}${scattered} in the workflow but ${task} declares ${formatType(t.type)}. Make the step's source or declared type agree with the task.`);
    }
  }
  const connected = new Set(step.inputs.map((i) => i.id));
  for (const [id, t] of Object.entries(spec.inputs)) {
    if (!connected.has(id) && !t.optional) throw inputError(step.run.loc ?? step.loc, ctx, `${task} needs input '${id}' (${formatType(t.type)}), which the step does not connect; add it under 'in:'.`);
  }
  const outs = Object.keys(spec.outputs);
  for (const o of step.outputs) {
    const t = spec.outputs[o.id];
    if (t === undefined) throw inputError(o.loc, ctx, `output '${o.id}' is not an output of ${task}${didYouMean(o.id, outs) || '.'} The task's outputs: ${outs.length === 0 ? 'none' : listOf(outs)}.`);
    if (!sameType(t.type, o.type)) throw inputError(o.loc, ctx, `type mismatch: output '${o.id}' is declared ${formatType(o.type)} but ${task} declares ${formatType(t.type)}; make them agree.`);
  }
}
