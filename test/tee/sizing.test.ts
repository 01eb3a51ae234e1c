/** docs/tee-platforms.md "Sizing": the written rules, value by value. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveSizing, EXECUTOR_THREADS, footprint, LIBOS_HELPER_THREADS, MARGIN, parseSize, SIZE_CLASSES, SizingError, THREAD_CLASSES } from '../../src/tee/sizing.js';

const GiB = 2 ** 30;
const base = { libos: 'gramine' as const, threads: 4, inputBytes: 4 * GiB, scratch: 'memory' as const, edmm: false };

describe('enclave sizing', () => {
  test('thread slots cover the task, the LibOS helpers and the executor, rounded up to a class', () => {
    const s = deriveSizing(base);
    assert.equal(s.threadsNeeded, 4 + LIBOS_HELPER_THREADS.gramine + EXECUTOR_THREADS);
    assert.equal(s.threadSlots, 32);
    assert.ok(THREAD_CLASSES.includes(s.threadSlots));
  });

  test('Gramine at 32 task threads gets at least 3 more slots than the task, as the Bowtie2 study needed', () => {
    const s = deriveSizing({ ...base, threads: 32 });
    assert.ok(s.threadSlots >= 32 + 3 + EXECUTOR_THREADS);
    assert.equal(s.threadSlots, 64);
  });

  test('the enclave size is the smallest power-of-two class covering the footprint with the margin', () => {
    const s = deriveSizing(base);
    const fp = footprint(base);
    assert.equal(s.footprint, fp);
    assert.ok(SIZE_CLASSES.includes(s.enclaveSize));
    assert.ok(s.enclaveSize >= fp * MARGIN);
    assert.ok(s.enclaveSize / 2 < fp * MARGIN, 'the next class down would not fit');
    assert.equal(Math.log2(s.enclaveSize) % 1, 0);
  });

  test('scratch on an encrypted mount keeps inputs out of enclave memory', () => {
    assert.ok(deriveSizing({ ...base, scratch: 'encrypted' }).enclaveSize < deriveSizing(base).enclaveSize);
  });

  test('with EDMM the size is the maximum, all needed slots are preallocated, and little memory is committed at start', () => {
    const off = deriveSizing(base);
    const on = deriveSizing({ ...base, edmm: true });
    assert.equal(on.enclaveSize, off.enclaveSize);
    assert.equal(on.threadSlots, off.threadSlots);
    assert.ok(on.initialSize < on.enclaveSize);
    assert.equal(off.initialSize, off.enclaveSize);
  });

  test('a deployment overrides each value; the override of edmm wins over the step default', () => {
    const s = deriveSizing(base, { enclaveSize: 64 * GiB, threadSlots: 100, edmm: true });
    assert.deepEqual([s.enclaveSize, s.threadSlots, s.edmm], [64 * GiB, 100, true]);
  });

  test('fewer thread slots than the step needs is an error before the run, saying what and what to do', () => {
    assert.throws(() => deriveSizing({ ...base, threads: 32 }, { threadSlots: 32 }, 'deployment enclaves, step align'), (e: Error) => e instanceof SizingError && /deployment enclaves, step align: threadSlots 32 is fewer than the 45 .*32 task \+ 3 LibOS helper \+ 10 executor threads.*raise threadSlots/.test(e.message));
  });

  test('an enclave smaller than its inputs, or not a power of two, is an error before the run', () => {
    assert.throws(() => deriveSizing({ ...base, inputBytes: 20 * GiB }, { enclaveSize: 8 * GiB }), /enclaveSize 8G is smaller than what must fit in it .*raise enclaveSize or use scratch: encrypted/);
    assert.throws(() => deriveSizing(base, { enclaveSize: 6 * GiB }), /not a power of two, which gramine requires; use e\.g\. 8G/);
  });

  test('a footprint beyond the largest class, or threads beyond the largest slot class, is an error naming the way out', () => {
    assert.throws(() => deriveSizing({ ...base, inputBytes: 400 * GiB }), /exceeds the largest enclave \(512 GiB\); use scratch: encrypted or a cvm deployment/);
    assert.throws(() => deriveSizing({ ...base, threads: 250 }), /more than the largest class \(256\)/);
    assert.throws(() => deriveSizing({ ...base, threads: 0 }), /threads must be a positive integer/);
  });

  test('sizes are read as 8G, 512M, 8GiB or bytes, and anything else is refused with the value', () => {
    assert.equal(parseSize('8G', 'x'), 8 * GiB);
    assert.equal(parseSize('8GiB', 'x'), 8 * GiB);
    assert.equal(parseSize('512M', 'x'), 512 * 2 ** 20);
    assert.equal(parseSize(4096, 'x'), 4096);
    assert.throws(() => parseSize('lots', 'deployment d: enclaveSize'), /deployment d: enclaveSize: "lots" is not a size/);
  });
});
