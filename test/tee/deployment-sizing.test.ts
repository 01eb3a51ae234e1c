/** docs/tee-platforms.md "Sizing": a deployment's overrides are checked against its steps when sealflow.yaml loads. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWorkflow } from '../../src/workflow/index.js';
import { loadRunConfig } from '../../src/engine/config/load-run-config.js';
import { rejectsWith, tempDir } from '../helpers/workflow.js';

const FLOW = ['steps:', '  align:', '    command: [bowtie2-align-s, -p, $(threads)]', '    requirements: { threads: 32, tee: sgx }', ''].join('\n');
const load = async (config: string) => {
  const wf = await loadWorkflow(await tempDir({ 'flow.yaml': FLOW, 'sealflow.yaml': config }));
  return loadRunConfig(wf);
};

test('a gramine deployment takes enclaveSize, threadSlots, edmm and scratch', async () => {
  const c = await load('deployments:\n  enclaves: { platform: gramine, enclaveSize: 32G, threadSlots: 64, edmm: true, scratch: encrypted }\n');
  assert.deepEqual(c.deployments[0]?.options, { enclaveSize: '32G', threadSlots: 64, edmm: true, scratch: 'encrypted' });
});

test('fewer thread slots than a step placed there needs is refused at load, with the deployment\'s file:line and the step', async () => {
  await rejectsWith(load('deployments:\n  enclaves: { platform: gramine, threadSlots: 32 }\n'), 'sealflow.yaml:2:', 'deployment "enclaves" (platform gramine)', 'step align: threadSlots 32 is fewer than the 45', 'raise threadSlots');
});

test('an enclave size that is not a power of two, or sizing on a platform without an enclave, is refused at load', async () => {
  await rejectsWith(load('deployments:\n  enclaves: { platform: occlum, enclaveSize: 12G }\n'), 'deployment "enclaves"', 'not a power of two');
  await rejectsWith(load('deployments:\n  vms: { platform: cvm, edmm: true }\n'), 'deployment "vms"', 'edmm size an SGX enclave; platform cvm has none');
});
