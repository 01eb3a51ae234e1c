/**
 * DAG utilities over a workflow's steps: dependencies, dependents, a
 * topological order and cycle detection. All are linear in steps + edges; the
 * index is built once per workflow object and cached.
 */
import type { Step, Workflow } from './model.js';

/** Ids of the steps whose outputs `step` reads, each once, in first-use order. */
export function stepDependencies(step: Step): string[] {
  const seen = new Set<string>();
  for (const input of step.inputs) {
    for (const s of input.sources) if (s.kind === 'step-output') seen.add(s.step);
  }
  return [...seen];
}

interface DagIndex {
  readonly byId: ReadonlyMap<string, Step>;
  readonly deps: ReadonlyMap<string, readonly string[]>;
  readonly dependents: ReadonlyMap<string, readonly string[]>;
}

const cache = new WeakMap<Workflow, DagIndex>();

function index(workflow: Workflow): DagIndex {
  const hit = cache.get(workflow);
  if (hit !== undefined) return hit;
  const byId = new Map(workflow.steps.map((s) => [s.id, s]));
  const deps = new Map<string, string[]>();
  const dependents = new Map<string, string[]>(workflow.steps.map((s) => [s.id, []]));
  for (const s of workflow.steps) {
    const d = stepDependencies(s).filter((id) => byId.has(id));
    deps.set(s.id, d);
    for (const p of d) dependents.get(p)?.push(s.id);
  }
  const built = { byId, deps, dependents };
  cache.set(workflow, built);
  return built;
}

/** Ids of the steps that read an output of `stepId` directly, in file order. */
export function dependents(workflow: Workflow, stepId: string): readonly string[] {
  return index(workflow).dependents.get(stepId) ?? [];
}

/** Ids of every step downstream of `stepId` (transitively), in topological order. */
export function downstream(workflow: Workflow, stepId: string): string[] {
  const { dependents: deps } = index(workflow);
  const reached = new Set<string>();
  const stack = [...(deps.get(stepId) ?? [])];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (reached.has(id)) continue;
    reached.add(id);
    stack.push(...(deps.get(id) ?? []));
  }
  return topoOrder(workflow)
    .map((s) => s.id)
    .filter((id) => reached.has(id));
}

/**
 * The steps in an order where every step comes after the steps it reads
 * from; ties keep file order. Throws if there is a cycle (loadWorkflow has
 * already rejected those).
 */
export function topoOrder(workflow: Workflow): Step[] {
  const { byId, deps, dependents: out } = index(workflow);
  const pending = new Map<string, number>();
  for (const s of workflow.steps) pending.set(s.id, deps.get(s.id)?.length ?? 0);
  // Kahn's algorithm; a min-heap on file position would keep strict file order, a
  // FIFO keeps it for independent steps, which is what users read.
  const position = new Map(workflow.steps.map((s, i) => [s.id, i]));
  const queue: string[] = workflow.steps.filter((s) => pending.get(s.id) === 0).map((s) => s.id);
  const order: Step[] = [];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head] as string;
    order.push(byId.get(id) as Step);
    const next: string[] = [];
    for (const d of out.get(id) ?? []) {
      const left = (pending.get(d) ?? 0) - 1;
      pending.set(d, left);
      if (left === 0) next.push(d);
    }
    next.sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
    queue.push(...next);
  }
  if (order.length !== workflow.steps.length) {
    const cycle = findCycle(workflow) ?? [];
    throw new Error(`workflow ${workflow.name} has a cycle: ${[...cycle, cycle[0]].join(' -> ')}`);
  }
  return order;
}

/**
 * A cycle as step ids in edge order (each reads from the one before it, the
 * first reads from the last), or null. Iterative DFS, so deep chains do not
 * overflow the stack.
 */
export function findCycle(workflow: Workflow): string[] | null {
  const { dependents: out } = index(workflow);
  const state = new Map<string, 1 | 2>(); // 1 = on the current path, 2 = done
  for (const root of workflow.steps) {
    if (state.has(root.id)) continue;
    const path: string[] = [root.id];
    const iters: number[] = [0];
    state.set(root.id, 1);
    while (path.length > 0) {
      const top = path.length - 1;
      const id = path[top] as string;
      const next = out.get(id) ?? [];
      const i = iters[top] as number;
      if (i >= next.length) {
        state.set(id, 2);
        path.pop();
        iters.pop();
        continue;
      }
      iters[top] = i + 1;
      const d = next[i] as string;
      const st = state.get(d);
      if (st === 1) return path.slice(path.indexOf(d));
      if (st === undefined) {
        state.set(d, 1);
        path.push(d);
        iters.push(0);
      }
    }
  }
  return null;
}
