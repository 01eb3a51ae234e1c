import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { quantile, splitFixedProportional, summarize } from '../../src/bench/stats.js';

describe('benchmark statistics', () => {
  test('the median of an odd count is the middle value, whatever the order', () => {
    assert.deepEqual(summarize([5, 1, 3]), { n: 3, median: 3, min: 1, max: 5, q1: 2, q3: 4 });
  });

  test('the median of an even count is the mean of the two middle values; quartiles interpolate', () => {
    const s = summarize([4, 1, 3, 2]);
    assert.equal(s.median, 2.5);
    assert.equal(s.q1, 1.75);
    assert.equal(s.q3, 3.25);
    assert.equal(s.min, 1);
    assert.equal(s.max, 4);
  });

  test('a single run is its own median, spread and quartiles', () => {
    assert.deepEqual(summarize([7]), { n: 1, median: 7, min: 7, max: 7, q1: 7, q3: 7 });
    assert.equal(quantile([1, 2, 3, 4, 5], 0.9), 4.6);
    assert.throws(() => summarize([]));
  });

  test('the fixed/proportional split recovers a known line and needs two distinct sizes', () => {
    const s = splitFixedProportional([{ native: 2, sealflow: 1.5 + 1.1 * 2 }, { native: 20, sealflow: 1.5 + 1.1 * 20 }, { native: 10, sealflow: 1.5 + 1.1 * 10 }]);
    assert.ok(s);
    assert.ok(Math.abs(s.fixed - 1.5) < 1e-9);
    assert.ok(Math.abs(s.factor - 1.1) < 1e-9);
    assert.equal(splitFixedProportional([{ native: 2, sealflow: 3 }]), null);
    assert.equal(splitFixedProportional([{ native: 2, sealflow: 3 }, { native: 2, sealflow: 4 }]), null);
  });
});
