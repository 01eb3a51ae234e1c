/** docs/report.md "Resource usage": what the worker puts on the wire stays inside the protocol's bounds. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { USAGE_LIMITS, validateWorkerToMaster } from '../../src/protocol/execution.js';
import { clampUsage } from '../../src/worker/executor/measure.js';

describe('usage measured by the worker', () => {
  test('clampUsage makes whole numbers within the protocol bounds of any measurement, so the master never refuses an honest worker', () => {
    const cases = [
      { cpuMs: -3, maxRssKiB: Number.NaN, threads: Infinity },
      { cpuMs: 1e30, maxRssKiB: 2 ** 60, threads: 1e12 },
      { cpuMs: 12.6, maxRssKiB: 1023.4, threads: 2.5 },
      { cpuMs: 7 },
    ];
    for (const c of cases) {
      const u = clampUsage(c);
      assert.ok(Number.isSafeInteger(u.cpuMs) && u.cpuMs >= 0 && u.cpuMs <= USAGE_LIMITS.cpuMs, JSON.stringify(u));
      if (u.maxRssKiB !== undefined) assert.ok(Number.isSafeInteger(u.maxRssKiB) && u.maxRssKiB <= USAGE_LIMITS.maxRssKiB);
      if (u.threads !== undefined) assert.ok(Number.isSafeInteger(u.threads) && u.threads <= USAGE_LIMITS.threads);
      assert.equal(typeof validateWorkerToMaster({ type: 'succeeded', id: 'a[0]#1', outputs: {}, exitStatus: 0, durationMs: 1, usage: u }), 'object', JSON.stringify(u));
    }
    assert.deepEqual(clampUsage({ cpuMs: 12.6, maxRssKiB: 1023.4, threads: 2.5 }), { cpuMs: 13, maxRssKiB: 1023, threads: 3 });
    assert.deepEqual(clampUsage({ cpuMs: 7 }), { cpuMs: 7 }, 'absent memory and threads stay absent');
  });
});
