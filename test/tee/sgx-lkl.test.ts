import { sgxLklPlatform, sgxLklLaunchPlan } from '../../src/tee/sgx-lkl/index.js';
import { runPlatformContract } from './contract.js';

runPlatformContract({ platform: sgxLklPlatform, satisfies: ['none', 'any', 'sgx'], command: 'sgx-lkl-run-oe', plan: sgxLklLaunchPlan, files: ['sealflow-app-config.json', 'sealflow-enclave-config.json', 'rootfs.txt'] });
