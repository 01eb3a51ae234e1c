/**
 * The threads of a file-to-file job take turns writing the output
 * (src/crypto/write-turns.ts): the lock word lives in the job's shared
 * control, so one thread can play "the other thread" by holding it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONTROL_BYTES, FAILED, WRITE_LOCK, WriteTurns } from '../../src/crypto/write-turns.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sealflow-write-turns-'));

function setup(name: string): { ctl: Int32Array; fd: number; file: string; close: () => void } {
  const file = path.join(dir, name);
  const fd = openSync(file, 'w+');
  return { ctl: new Int32Array(new SharedArrayBuffer(CONTROL_BYTES)), fd, file, close: () => closeSync(fd) };
}

describe('file job writes take turns', () => {
  test('a batch finished while another thread writes is kept, and written at the right place on the next turn', () => {
    const { ctl, fd, file, close } = setup('deferred');
    const turns = new WriteTurns(ctl, fd);
    Atomics.store(ctl, WRITE_LOCK, 1); // another thread is writing
    turns.offer([Buffer.from('cc'), Buffer.from('dd')], 4);
    assert.equal(turns.queued, 1);
    assert.equal(readFileSync(file).length, 0, 'nothing is written while the output is taken');
    Atomics.store(ctl, WRITE_LOCK, 0); // its turn is over
    turns.offer([Buffer.from('aabb')], 0);
    assert.equal(turns.queued, 0);
    assert.equal(readFileSync(file, 'latin1'), 'aabbccdd');
    assert.equal(Atomics.load(ctl, WRITE_LOCK), 0, 'the lock is released after writing');
    close();
  });

  test('a thread holding its limit of batches waits for its turn, and gives them up when another thread failed', () => {
    const { ctl, fd, file, close } = setup('failed');
    const turns = new WriteTurns(ctl, fd, 2);
    Atomics.store(ctl, WRITE_LOCK, 1);
    turns.offer([Buffer.from('x')], 0);
    Atomics.store(ctl, FAILED, 1); // the holder failed and will never unlock
    turns.offer([Buffer.from('y')], 1); // would wait; returns because of the failure
    assert.equal(turns.queued, 2);
    assert.equal(turns.finish(), false, 'finish reports that the queue was not written');
    assert.equal(readFileSync(file).length, 0);
    close();
  });

  test('finish writes what is queued once the output is free', () => {
    const { ctl, fd, file, close } = setup('finish');
    const turns = new WriteTurns(ctl, fd, 4);
    Atomics.store(ctl, WRITE_LOCK, 1);
    turns.offer([Buffer.from('late')], 3);
    turns.offer([Buffer.from('abc')], 0);
    Atomics.store(ctl, WRITE_LOCK, 0);
    assert.equal(turns.finish(), true);
    assert.equal(readFileSync(file, 'latin1'), 'abclate');
    close();
  });
});
