import { occlumPlatform, occlumLaunchPlan } from '../../src/tee/occlum/index.js';
import { runPlatformContract } from './contract.js';
import { alignStep } from './fixtures.js';

runPlatformContract({
  platform: occlumPlatform,
  satisfies: ['none', 'any', 'sgx'],
  command: 'occlum run',
  plan: occlumLaunchPlan,
  files: ['Occlum.json', 'sealflow.yaml', 'sea-main.cjs', 'launch.json'],
  refusesAlso: { step: alignStep(2, { shell: true }), reason: /step align runs its command through a shell .*Occlum cannot fork/ },
});
