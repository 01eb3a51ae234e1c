import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { FULL_SIZES, planCases, threadCounts } from '../../src/bench/plan.js';

test('--full runs every example’s small size before any large one, cheapest examples first, dna-alignment at each thread count', () => {
  const cases = planCases({ mode: 'full', only: null, sizes: null, threads: [1, 2] });
  assert.deepEqual(cases.map((c) => `${c.example} ${c.size}${c.threads === null ? '' : ` -p ${c.threads}`}`), [
    'diagnosis-recommendation 10k', 'distributed-k-means 1e5', 'word-count 10MB', 'dna-alignment lambda -p 1', 'dna-alignment lambda -p 2',
    'diagnosis-recommendation 100k', 'distributed-k-means 1e7', 'word-count 1GB', 'dna-alignment 30k -p 1', 'dna-alignment 30k -p 2',
  ]);
  assert.deepEqual(FULL_SIZES['word-count'], ['10MB', '1GB']);
});

test('sizes given per example replace that example’s defaults; thread counts run 1, 2, 4 … up to the cores', () => {
  const cases = planCases({ mode: 'quick', only: ['word-count', 'dna-alignment'], sizes: ['word-count=100KB', 'word-count=1MB'], threads: null, cores: 3 });
  assert.deepEqual(cases.map((c) => [c.example, c.size, c.threads]), [
    ['word-count', '100KB', null], ['dna-alignment', 'lambda', 1], ['dna-alignment', 'lambda', 2], ['dna-alignment', 'lambda', 3], ['word-count', '1MB', null],
  ]);
  assert.deepEqual(threadCounts(8), [1, 2, 4, 8]);
  assert.deepEqual(threadCounts(6), [1, 2, 4, 6]);
});
