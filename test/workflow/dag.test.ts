import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { dependents, downstream, findCycle, loadWorkflow, stepDependencies, topoOrder } from '../../src/workflow/index.js';
import type { Step, Workflow } from '../../src/workflow/index.js';
import { FIXTURES } from '../helpers/workflow.js';

const loc = { file: '/x/flow.yaml', line: 1, column: 1 };
/** A command step reading the given step ids. */
function step(id: string, reads: string[]): Step {
  return {
    id,
    run: { kind: 'command', argv: ['true'], shell: false, outputs: { o: { glob: 'o' } }, env: {} },
    inputs: reads.map((r, i) => ({ id: `i${i}`, type: { kind: 'file' }, optional: false, sources: [{ kind: 'step-output', step: r, output: 'o', loc }], loc })),
    outputs: [{ id: 'o', type: { kind: 'file' }, optional: false, loc }],
    scatter: [],
    requirements: { threads: 1, tee: 'none' },
    retries: 0,
    loc,
  };
}
const wf = (steps: Step[]): Workflow => ({ name: 't', file: '/x/flow.yaml', inputs: [], outputs: [], steps });

describe('DAG utilities', () => {
  test('stepDependencies lists each upstream step once in first-use order', () => {
    assert.deepEqual(stepDependencies(step('c', ['b', 'a', 'b'])), ['b', 'a']);
  });

  test('topoOrder puts producers before consumers and keeps file order otherwise', () => {
    const w = wf([step('merge', ['m1', 'm2']), step('m2', ['split']), step('m1', ['split']), step('split', []), step('other', [])]);
    const order = topoOrder(w).map((s) => s.id);
    assert.deepEqual(order, ['split', 'other', 'm2', 'm1', 'merge']);
  });

  test('topoOrder of the documented example respects every edge', async () => {
    const w = await loadWorkflow(path.join(FIXTURES, 'doc-example'));
    const pos = new Map(topoOrder(w).map((s, i) => [s.id, i]));
    for (const s of w.steps) for (const d of stepDependencies(s)) assert.ok((pos.get(d) ?? 99) < (pos.get(s.id) ?? -1), `${d} before ${s.id}`);
  });

  test('findCycle returns the steps of a cycle in edge order', () => {
    const w = wf([step('x', []), step('a', ['c', 'x']), step('b', ['a']), step('c', ['b'])]);
    assert.deepEqual(findCycle(w), ['a', 'b', 'c']);
    assert.throws(() => topoOrder(w), /cycle/);
  });

  test('findCycle returns null for an acyclic workflow and handles deep chains', () => {
    const steps = [step('s0', [])];
    for (let i = 1; i < 20000; i++) steps.push(step(`s${i}`, [`s${i - 1}`]));
    assert.equal(findCycle(wf(steps)), null);
  });

  test('dependents lists direct consumers; downstream lists all of them', () => {
    const w = wf([step('a', []), step('b', ['a']), step('c', ['b']), step('d', ['a']), step('e', [])]);
    assert.deepEqual(dependents(w, 'a'), ['b', 'd']);
    assert.deepEqual(dependents(w, 'e'), []);
    assert.deepEqual(downstream(w, 'a'), ['b', 'd', 'c']);
  });
});
