/**
 * Runs a `defineTask` task directly, as the engine would, with a fresh
 * scratch directory: for testing example tasks without the engine.
 */
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import type { TaskContext, TaskDefinition, PortSpecs, ValuesOf } from '../../src/task.js';

export interface FakeContextOptions {
  readonly stepId: string;
  /** Parent directory for the step's scratch directory. */
  readonly root: string;
  readonly threads?: number;
}

export async function fakeContext(opts: FakeContextOptions): Promise<TaskContext & { readonly logs: string[] }> {
  const scratchDir = await mkdtemp(path.join(opts.root, `${opts.stepId.replace(/[^\w.-]/g, '_')}-`));
  const logs: string[] = [];
  return {
    stepId: opts.stepId,
    threads: opts.threads ?? 1,
    scratchDir,
    path: (name: string) => path.join(scratchDir, name),
    log: (m: string) => void logs.push(m),
    signal: new AbortController().signal,
    logs,
  };
}

/** Runs `task` with `inputs` in a fresh scratch directory under `root`. */
export async function runTask<I extends PortSpecs, O extends PortSpecs>(
  task: TaskDefinition<I, O>,
  inputs: ValuesOf<I>,
  root: string,
  stepId: string,
): Promise<ValuesOf<O>> {
  return task.run(inputs, await fakeContext({ stepId, root }));
}
