import { graminePlatform, gramineLaunchPlan } from '../../src/tee/gramine/index.js';
import { runPlatformContract } from './contract.js';

runPlatformContract({ platform: graminePlatform, satisfies: ['none', 'any', 'sgx'], command: 'gramine-sgx', plan: gramineLaunchPlan, files: ['sealflow-provisioner.manifest.template', 'launch.json'] });
