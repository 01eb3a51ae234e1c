import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../helpers/cli.js';
import { loadWorkflow, checkTasks, loadInputs } from '../../src/workflow/index.js';
import { loadRunConfig } from '../../src/engine/config/load-run-config.js';
import { deploymentFor } from '../../src/engine/placement.js';
import { needs } from '../helpers/needs.js';

const EXAMPLES = path.join(REPO, 'examples');
const names = readdirSync(EXAMPLES).filter((n) => existsSync(path.join(EXAMPLES, n, 'flow.yaml')));

test('every example directory has a flow.yaml', () => {
  assert.ok(names.length >= 3, `found ${names.join(', ')}`);
});

for (const name of names) {
  // dna-alignment's programs and input files come from Debian packages.
  const skip = name === 'dna-alignment' ? needs(['bowtie2', 'bowtie2-examples', 'samtools']) : false;
  test(`examples/${name}: flow.yaml loads, its tasks and programs check out, and inputs.yaml supplies every input`, { skip }, async () => {
    const wf = await loadWorkflow(path.join(EXAMPLES, name));
    await checkTasks(wf);
    const inputs = await loadInputs(wf);
    for (const port of wf.inputs) assert.ok(port.id in inputs && inputs[port.id] !== undefined, `input ${port.id}`);
  });
}

for (const name of names) {
  test(`examples/${name} runs the way sealflow is meant to run by default: its sealflow.yaml puts every step on local sim workers, encrypted`, async () => {
    const wf = await loadWorkflow(path.join(EXAMPLES, name));
    const config = await loadRunConfig(wf);
    assert.equal(config.file, path.join(EXAMPLES, name, 'sealflow.yaml'));
    for (const step of wf.steps) {
      const d = deploymentFor(config, step);
      assert.deepEqual([d.connector, d.platform], ['local', 'sim'], `step ${step.id}`);
    }
  });
}
