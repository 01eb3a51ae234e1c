/** Every registered TEE platform runs the shared contract suite (test/tee/contract.ts) from its own test file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PLATFORM_NAMES } from '../../src/tee/index.js';
import { REPO } from '../helpers/cli.js';

test('each registered platform has test/tee/<name>.test.ts, and it runs the platform contract', () => {
  for (const name of PLATFORM_NAMES) {
    const text = readFileSync(path.join(REPO, 'test', 'tee', `${name}.test.ts`), 'utf8');
    assert.match(text, /runPlatformContract\(/, `${name}.test.ts runs the contract`);
  }
});
