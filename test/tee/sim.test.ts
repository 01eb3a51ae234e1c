import { simPlatformInfo } from '../../src/tee/sim/index.js';
import { runPlatformContract } from './contract.js';

// The registry entry; the per-run SimPlatform that launches is exercised by test/wcpac/ and the hostile-launch test.
runPlatformContract({ platform: simPlatformInfo, satisfies: ['none'], command: process.execPath });
