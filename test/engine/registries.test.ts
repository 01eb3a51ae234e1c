/**
 * One registry of platforms and one of connectors (DESIGN.md, Layout): every
 * list of names derives from them, the platform's own `satisfies` is the only
 * placement rule, and platforms this version cannot launch are refused at
 * start with file:line and what they need.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CONNECTOR_NAMES, connectorByName } from '../../src/connectors/index.js';
import { RUN_PLATFORMS } from '../../src/cli/run-plan.js';
import { loadRunConfig } from '../../src/engine/config/load-run-config.js';
import { CONNECTORS, PLATFORMS } from '../../src/engine/config/run-config.js';
import { place, platformSatisfies, satisfiedRequirements } from '../../src/engine/placement.js';
import { WorkerPool } from '../../src/engine/workers.js';
import { LAUNCHABLE_PLATFORMS, PLATFORM_NAMES, platformByName } from '../../src/tee/index.js';
import { loadWorkflow } from '../../src/workflow/index.js';
import { TEE_REQUIREMENTS } from '../../src/workflow/load-step.js';
import { tempDir } from '../helpers/workflow.js';

const FLOW = ['steps:', '  a:', '    command: [true]', '  b:', '    command: [true]', '    requirements: { tee: sgx }', ''].join('\n');

async function workflowWith(config: string) {
  return loadWorkflow(await tempDir({ 'flow.yaml': FLOW, 'sealflow.yaml': config }));
}

describe('the platform and connector registries', () => {
  test('register every platform, and every list of names derives from them', async () => {
    assert.deepEqual([...PLATFORM_NAMES], ['none', 'sim', 'gramine', 'occlum', 'cvm', 'sgx-lkl']);
    for (const n of PLATFORM_NAMES) assert.equal(platformByName(n)?.name, n);
    assert.deepEqual([...PLATFORMS], [...PLATFORM_NAMES]);
    assert.deepEqual([...LAUNCHABLE_PLATFORMS], ['none', 'sim']);
    assert.deepEqual([...RUN_PLATFORMS], [...LAUNCHABLE_PLATFORMS]);
    assert.deepEqual([...CONNECTORS], [...CONNECTOR_NAMES]);
    for (const n of CONNECTOR_NAMES) assert.equal((await connectorByName(n))?.name, n);
    assert.equal(platformByName('toString'), null, 'only the registry\'s own names');
    assert.equal(await connectorByName('constructor'), null);
  });

  test('the placement rule is the platform\'s own satisfies, with the local policy\'s simulation allowed', () => {
    for (const n of PLATFORM_NAMES) {
      const p = platformByName(n);
      for (const req of TEE_REQUIREMENTS) assert.equal(platformSatisfies(n, req), p?.satisfies(req, { allowSimulation: true }), `${n} / ${req}`);
    }
    assert.deepEqual(satisfiedRequirements('none'), ['none']);
    assert.deepEqual(satisfiedRequirements('sim'), ['none', 'any', 'sgx', 'sev-snp', 'tdx']);
    assert.equal(platformByName('sim')?.satisfies('sgx', { allowSimulation: false }), false);
  });

  for (const [platform, needs] of [['gramine', 'SGX hardware and Gramine'], ['occlum', 'SGX hardware and Occlum'], ['cvm', 'a hypervisor host with KVM and SEV-SNP or TDX'], ['sgx-lkl', 'SGX-LKL (archived upstream)']] as const) {
    test(`a deployment on ${platform} is selectable, and refused at start with what this machine lacks`, async () => {
      const wf = await workflowWith(`deployments:\n  plain: { platform: sim }\n  tee: { platform: ${platform} }\ndefault: plain\nbindings:\n  - { step: a, deployment: tee }\n`);
      const config = await loadRunConfig(wf);
      assert.equal(config.deployments.find((d) => d.id === 'tee')?.platform, platform);
      assert.throws(() => WorkerPool.check([{ id: 'tee', connector: 'local', platform, workers: 1, options: {} }]), (e: Error) => e.message.includes(`deployment tee (connector local): platform ${platform} cannot start workers here: it needs`) && e.message.includes(needs) && e.message.includes('Platforms that start here: none, sim'));
    });
  }

  test('place puts each step on its first matching binding, else the default, and lists the deployments used', async () => {
    const wf = await workflowWith('deployments:\n  plain: { platform: none }\n  enc: { platform: sim }\n  idle: { platform: none }\ndefault: plain\nbindings:\n  - { tee: sgx, deployment: enc }\n');
    const config = await loadRunConfig(wf);
    const p = place(wf, config);
    assert.deepEqual(Object.fromEntries(p.byStep), { a: 'plain', b: 'enc' });
    assert.deepEqual(p.used.map((d) => d.id), ['plain', 'enc']);
    assert.equal(p.deploymentFor(wf.steps[1] as (typeof wf.steps)[number]), 'enc');
  });
});
