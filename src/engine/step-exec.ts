/**
 * What a step runs, as the scheduler hands it out: the code identity that
 * goes into an instance's hash (the task's bundled code digest, or the
 * command, plus the pins of the tools a command runs, docs/protocol.md
 * §10.3), the `ExecSpec` a worker executes, and the `assign` message for one
 * attempt.
 */
import path from 'node:path';
import type { PortValue, Step } from '../workflow/model.js';
import type { AssignMsg, ExecSpec, ToolPinSpec } from '../protocol/execution.js';
import { codeIdentity } from './hash.js';
import type { RunDir } from './run-dir.js';
import { taskKey, type TaskBundle } from './bundle.js';

export interface StepExecOptions {
  readonly runDir: RunDir;
  readonly bundle: { readonly file: string; readonly tasks: TaskBundle } | null;
  /** A command step's fixed PATH and the pins of the tools it runs (docs/protocol.md §10.3); absent: neither. */
  readonly commandTools?: (step: Step) => { readonly path?: string; readonly tools?: Readonly<Record<string, ToolPinSpec>> };
  /**
   * Encrypted runs: where workers keep plaintext, outside the run directory (protocol/scratch.ts,
   * docs/protocol.md §10.8); an attempt's `scratchDir` is `<scratchRoot>/<step>.<index>.<attempt>`. Absent: in the run directory.
   */
  readonly scratchRoot?: string;
}

export class StepExec {
  private readonly codeCache = new Map<string, string>();

  constructor(private readonly o: StepExecOptions) {}

  /** The step's code identity for instance hashes (cached per step). */
  codeOf(step: Step): string {
    let code = this.codeCache.get(step.id);
    if (code === undefined) {
      const digest = step.run.kind === 'task' ? (this.o.bundle?.tasks.codeDigests.get(taskKey(step.run.module, step.run.export)) ?? null) : null;
      // A pinned tool is part of the step's code (§10.3): a new pin (a new tool) re-runs the step on --resume.
      const pins = step.run.kind === 'command' ? this.o.commandTools?.(step).tools : undefined;
      code = pins === undefined ? codeIdentity(step, digest) : JSON.stringify({ code: codeIdentity(step, digest), tools: pins });
      this.codeCache.set(step.id, code);
    }
    return code;
  }

  /** The `assign` message for one attempt of instance `index` of `step`. */
  assignMsg(step: Step, index: number, attempt: number, inputs: Record<string, PortValue>): AssignMsg {
    return {
      type: 'assign',
      id: `${step.id}[${index}]#${attempt}`,
      label: step.scatter.length > 0 ? `${step.id}[${index}]` : step.id,
      exec: this.execOf(step),
      inputs,
      outputs: step.outputs.map((p) => ({ id: p.id, type: p.type, optional: p.optional })),
      threads: step.requirements.threads,
      ...(step.requirements.memory !== undefined ? { memory: step.requirements.memory } : {}),
      scratchDir: this.o.scratchRoot !== undefined ? path.join(this.o.scratchRoot, `${step.id}.${index}.${attempt}`) : this.o.runDir.scratch(step.id, index, attempt),
      outDir: this.o.runDir.stepOut(step.id, index),
      logBase: this.o.runDir.logBase(step.id, index),
    };
  }

  private execOf(step: Step): ExecSpec {
    const r = step.run;
    if (r.kind === 'command') {
      const globs = Object.fromEntries(Object.entries(r.outputs).map(([k, b]) => [k, b.glob]));
      return { kind: 'command', argv: r.argv, shell: r.shell, env: r.env, globs, ...(r.stdout !== undefined ? { stdout: r.stdout } : {}), ...this.o.commandTools?.(step) };
    }
    if (r.kind === 'cwl') return { kind: 'cwl', process: r.process };
    const b = this.o.bundle;
    const name = b?.tasks.exportNames.get(taskKey(r.module, r.export));
    if (!b || !name) throw new Error(`step ${step.id}: task ${r.export} is not in the run's bundle`);
    return { kind: 'task', bundle: b.file, export: name, name: r.export };
  }
}
