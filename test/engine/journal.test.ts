import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Journal, readJournal } from '../../src/engine/journal.js';
import { tmpDir } from './build.js';

describe('journal', () => {
  test('appends whole JSON lines and makes them durable on sync', async () => {
    const file = path.join(tmpDir(), 'journal.jsonl');
    const j = Journal.create(file);
    for (let i = 0; i < 500; i++) j.append({ type: 'step-skipped', step: `s${i}`, index: 0, reason: 'r' });
    await j.sync();
    assert.equal(readJournal(file).events.length, 500);
    j.append({ type: 'run-finished', state: 'succeeded', outputs: {} });
    await j.close();
    const { events, tornTail } = readJournal(file);
    assert.equal(events.length, 501);
    assert.equal(tornTail, false);
    assert.equal(events.at(-1)?.type, 'run-finished');
    assert.ok(events.every((e) => typeof e.t === 'number'));
  });

  test('group commit: a burst of events in one turn costs one write and one sync, not one each', async () => {
    const file = path.join(tmpDir(), 'journal.jsonl');
    const j = Journal.create(file);
    const calls = { sync: 0, write: 0 };
    const realSync = fs.fdatasync;
    const realWrite = fs.writeSync;
    fs.fdatasync = ((fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => {
      calls.sync++;
      return realSync(fd, cb);
    }) as typeof fs.fdatasync;
    fs.writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
      calls.write++;
      return realWrite(...args);
    }) as typeof fs.writeSync;
    try {
      for (let i = 0; i < 1000; i++) j.append({ type: 'step-skipped', step: `s${i}`, index: 0, reason: 'r' });
      await new Promise((r) => setImmediate(r));
    } finally {
      fs.fdatasync = realSync;
      fs.writeSync = realWrite;
    }
    await j.close();
    assert.equal(calls.write, 1);
    assert.equal(calls.sync, 1);
    assert.equal(readJournal(file).events.length, 1000);
  });

  test('a torn last line is ignored on read and cut off before appending', async () => {
    const file = path.join(tmpDir(), 'journal.jsonl');
    const j = Journal.create(file);
    j.append({ type: 'step-skipped', step: 'a', index: 0, reason: 'r' });
    j.append({ type: 'step-skipped', step: 'b', index: 0, reason: 'r' });
    await j.close();
    fs.appendFileSync(file, '{"type":"step-succeeded","step":"c","ind');
    const torn = readJournal(file);
    assert.equal(torn.events.length, 2);
    assert.equal(torn.tornTail, true);
    const j2 = Journal.openForAppend(file);
    j2.append({ type: 'step-skipped', step: 'd', index: 0, reason: 'r' });
    await j2.close();
    const after = readJournal(file);
    assert.equal(after.tornTail, false);
    assert.deepEqual(after.events.map((e) => ('step' in e ? e.step : '')), ['a', 'b', 'd']);
  });

  test('a journal read again unchanged is not parsed again; once it changes, it is read afresh', async () => {
    const file = path.join(tmpDir(), 'journal.jsonl');
    const j = Journal.create(file);
    j.append({ type: 'step-skipped', step: 'a', index: 0, reason: 'r' });
    await j.close();
    const first = readJournal(file);
    assert.equal(readJournal(file), first, 'the same contents, not a second parse');
    fs.appendFileSync(file, '{"type":"step-succeeded","step":"b","ind');
    const torn = readJournal(file);
    assert.notEqual(torn, first);
    assert.equal(torn.tornTail, true);
    // Opening with the byte count of that read cuts the torn tail, as opening without it does.
    const j2 = Journal.openForAppend(file, torn.validBytes);
    j2.append({ type: 'step-skipped', step: 'c', index: 0, reason: 'r' });
    await j2.close();
    assert.deepEqual(readJournal(file).events.map((e) => ('step' in e ? e.step : '')), ['a', 'c']);
  });

  test('a corrupt line stops reading there, keeping the events before it', () => {
    const file = path.join(tmpDir(), 'journal.jsonl');
    fs.writeFileSync(file, '{"type":"run-resumed","t":1}\nnot json\n{"type":"run-resumed","t":2}\n');
    const r = readJournal(file);
    assert.equal(r.events.length, 1);
    assert.equal(r.tornTail, true);
  });
});
