import { nonePlatform } from '../../src/tee/none/index.js';
import { runPlatformContract } from './contract.js';

runPlatformContract({ platform: nonePlatform, satisfies: ['none'], command: process.execPath });
