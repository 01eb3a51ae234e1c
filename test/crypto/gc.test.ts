import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { collectChunkGarbage } from '../../src/crypto/gc.js';

test('taking the gc function leaves --expose-gc off for contexts created later (a set flag makes built-ins miss the code cache)', (t) => {
  if (typeof (globalThis as { gc?: unknown }).gc === 'function') {
    t.skip('this process was started with --expose-gc, so the flag is on by the user’s choice');
    return;
  }
  collectChunkGarbage(4 * 1024 * 1024); // takes and uses gc
  assert.equal(vm.runInNewContext('typeof gc'), 'undefined');
});
