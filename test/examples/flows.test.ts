import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../helpers/cli.js';
import { loadWorkflow, checkTasks, loadInputs } from '../../src/workflow/index.js';

const EXAMPLES = path.join(REPO, 'examples');
const names = readdirSync(EXAMPLES).filter((n) => existsSync(path.join(EXAMPLES, n, 'flow.yaml')));

test('every example directory has a flow.yaml', () => {
  assert.ok(names.length >= 3, `found ${names.join(', ')}`);
});

for (const name of names) {
  test(`examples/${name}: flow.yaml loads, its tasks and programs check out, and inputs.yaml supplies every input`, async () => {
    const wf = await loadWorkflow(path.join(EXAMPLES, name));
    await checkTasks(wf);
    const inputs = await loadInputs(wf);
    for (const port of wf.inputs) assert.ok(port.id in inputs && inputs[port.id] !== undefined, `input ${port.id}`);
  });
}
