import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkSameWorkflow, workflowDifferences, workflowShape } from '../../src/engine/workflow-identity.js';
import { InputError } from '../../src/errors.js';
import { loadWorkflow } from '../../src/workflow/index.js';
import { tempDir } from '../helpers/workflow.js';

const FLOW = ['name: wc', 'inputs:', '  text: file', 'outputs:', '  total: { type: file, from: count/n }', 'steps:', '  count:', '    command: [wc, -w, $(t)]', '    stdout: n.txt', '    in: { t: text }', '    out: { n: { type: file, glob: n.txt } }', ''].join('\n');

/** The flow with count's output n (and the workflow output from it) a string instead of a file. */
const retyped = () => FLOW.replace('n: { type: file', 'n: { type: string').replace('total: { type: file', 'total: { type: string');

async function wf(text: string) {
  return loadWorkflow(await tempDir({ 'flow.yaml': text }));
}

describe('the workflow a resume must find unchanged', () => {
  test('an edited command, a new workflow input and a new step input are the same workflow', async () => {
    const before = await wf(FLOW);
    const started = { name: before.name, steps: ['count'], shape: workflowShape(before) };
    const edited = await wf(FLOW.replace('[wc, -w, $(t)]', '[wc, -l, $(t), $(m)]').replace('  text: file', '  text: file\n  more: string').replace('{ t: text }', '{ t: text, m: more }'));
    assert.deepEqual(workflowDifferences(started, edited), []);
    checkSameWorkflow('R', started, edited);
  });

  test("another name, another step or a changed output port is another workflow, and the message says which", async () => {
    const before = await wf(FLOW);
    const started = { name: before.name, steps: ['count'], shape: workflowShape(before) };
    assert.deepEqual(workflowDifferences(started, await wf(FLOW.replace('name: wc', 'name: other'))), ["its name was 'wc', now 'other'"]);
    assert.deepEqual(workflowDifferences(started, await wf(retyped())), ["step count's outputs were n: file, now n: string"]);
    assert.deepEqual(workflowDifferences(started, await wf(FLOW.replace('  total: {', '  sum: {'))), ["the workflow's outputs were total, now sum"]);
    assert.throws(() => checkSameWorkflow('R', started, { ...before, name: 'other' }), (e: unknown) => e instanceof InputError && /run R was workflow 'wc' \(steps count\); .* is 'other' \(steps count\): its name was 'wc', now 'other'\. Resume only runs the same workflow/.test(e.message));
  });

  test('a journal from before the shape was recorded is compared by name and step ids only', async () => {
    const now = await wf(retyped());
    assert.deepEqual(workflowDifferences({ name: 'wc', steps: ['count'] }, now), []);
    assert.deepEqual(workflowDifferences({ name: 'wc', steps: ['count', 'merge'] }, now), ['step merge is gone']);
  });
});
