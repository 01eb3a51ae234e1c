import { cvmPlatform, cvmLaunchPlan } from '../../src/tee/cvm/index.js';
import { runPlatformContract } from './contract.js';

runPlatformContract({ platform: cvmPlatform, satisfies: ['none', 'any', 'sev-snp', 'tdx'], command: 'qemu-system-x86_64', plan: cvmLaunchPlan, files: ['sealflow-provisioner.service', 'initrd.txt', 'cmdline.txt', 'launch.json'] });
