/**
 * docs/protocol.md §10.8: where workers keep plaintext, how a worker
 * directory says whose it is, and which ones a sweep removes (those of
 * processes that are gone or whose pid was reused), whatever run they
 * belong to.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sweepOrphanScratch } from '../../src/engine/scratch-sweep.js';
import { ensureWorkerScratch, parseScratchOwner, pidNamespace, processStartTime, readScratchOwner, scratchBase, scratchCandidates, SCRATCH_ENV, startTimeOfStat } from '../../src/protocol/scratch.js';

const uidName = `sealflow-scratch-${process.getuid?.() ?? os.userInfo().username}`;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-scratchbase-'));

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid as number;
}

function worker(base: string, run: string, name: string, owner?: object): string {
  const dir = path.join(base, run, name);
  fs.mkdirSync(path.join(dir, 'a.0.1'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'a.0.1', 'plain.txt'), 'plaintext');
  if (owner) fs.writeFileSync(path.join(dir, 'owner.json'), JSON.stringify(owner));
  return dir;
}

describe('§10.8 worker scratch outside the run directory', () => {
  test('the scratch base is /dev/shm on Linux, then $XDG_RUNTIME_DIR, then the temporary directory; SEALFLOW_SCRATCH_DIR replaces them all', () => {
    const plain = scratchCandidates({ XDG_RUNTIME_DIR: '/run/user/1234' });
    const expected = [...(process.platform === 'linux' ? [['/dev/shm', 'ram']] : []), ['/run/user/1234', 'ram'], [os.tmpdir(), 'disk']];
    assert.deepEqual(plain.map((c) => [path.dirname(c.dir), c.kind]), expected);
    assert.ok(plain.every((c) => path.basename(c.dir) === uidName), 'one private directory per user');
    assert.deepEqual(scratchCandidates({ [SCRATCH_ENV]: '/x/y', XDG_RUNTIME_DIR: '/run/user/1234' }), [{ dir: path.join('/x/y', uidName), kind: 'chosen' }]);
  });

  test('a scratch base that is a symbolic link or open to other users is refused with a message that says what to set', () => {
    const root = tmp();
    const saved = process.env[SCRATCH_ENV];
    try {
      process.env[SCRATCH_ENV] = root;
      fs.mkdirSync(path.join(root, 'elsewhere'));
      fs.symlinkSync(path.join(root, 'elsewhere'), path.join(root, uidName));
      assert.throws(() => scratchBase(), (e: unknown) => e instanceof Error && e.message.includes(path.join(root, uidName)) && e.message.includes(SCRATCH_ENV));
      fs.rmSync(path.join(root, uidName));
      fs.mkdirSync(path.join(root, uidName), { mode: 0o755 });
      fs.chmodSync(path.join(root, uidName), 0o755);
      assert.throws(() => scratchBase(), /no usable scratch directory/);
      fs.chmodSync(path.join(root, uidName), 0o700);
      assert.deepEqual(scratchBase(), { dir: path.join(root, uidName), kind: 'chosen' });
    } finally {
      if (saved === undefined) delete process.env[SCRATCH_ENV];
      else process.env[SCRATCH_ENV] = saved;
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('a worker directory records its pid and the start time /proc gives for it', () => {
    const root = tmp();
    try {
      const dir = path.join(root, 'run', String(process.pid));
      ensureWorkerScratch(dir);
      assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
      const start = processStartTime(process.pid);
      const pidns = pidNamespace();
      assert.deepEqual(readScratchOwner(dir), { pid: process.pid, ...(typeof start === 'string' ? { start } : {}), ...(pidns !== undefined ? { pidns } : {}) });
      if (typeof start === 'string') assert.match(start, /^\d+$/);
      assert.equal(processStartTime(deadPid()), fs.existsSync('/proc/self/stat') ? null : undefined, 'no start time for a process that is gone');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('a sweep removes the directories of workers that are gone or whose pid was reused, and keeps those of live workers', () => {
    const root = tmp();
    try {
      const base = { dir: path.join(root, uidName), kind: 'chosen' as const };
      const dead = deadPid();
      const start = processStartTime(process.pid);
      const gone = worker(base.dir, 'run-a', String(dead), { pid: dead, start: '1' });
      const goneUnmarked = worker(base.dir, 'run-a', String(deadPid()));
      const live = worker(base.dir, 'run-b', String(process.pid), { pid: process.pid, ...(typeof start === 'string' ? { start } : {}) });
      const liveUnmarked = worker(base.dir, 'run-b', String(process.ppid));
      const notAWorker = worker(base.dir, 'run-b', 'notes');
      const reused = typeof start === 'string' ? worker(base.dir, 'run-c', String(process.pid), { pid: process.pid, start: `${start}9` }) : null;
      // A worker of another PID namespace (a namespace "host" sharing /dev/shm): its pid means nothing here.
      const otherNamespace = worker(base.dir, 'run-d', String(dead), { pid: dead, start: '1', pidns: 'pid:[1]' });

      const removed = sweepOrphanScratch([base]);
      assert.ok(!fs.existsSync(gone) && !fs.existsSync(goneUnmarked), 'a dead worker\'s scratch is removed (marked or not)');
      assert.ok(!fs.existsSync(path.join(base.dir, 'run-a')), 'and its run directory, once empty');
      if (reused) assert.ok(!fs.existsSync(reused), 'a pid now used by another process (other start time) counts as gone');
      for (const d of [live, liveUnmarked, notAWorker, otherNamespace]) assert.ok(fs.existsSync(path.join(d, 'a.0.1', 'plain.txt')), `${d} is kept`);
      assert.deepEqual(removed.sort(), [gone, goneUnmarked, ...(reused ? [reused] : [])].sort());
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('a sweep does not follow a scratch base that is a symbolic link', () => {
    const root = tmp();
    try {
      const target = path.join(root, 'target');
      const victim = worker(target, 'run', String(deadPid()));
      fs.symlinkSync(target, path.join(root, uidName));
      assert.deepEqual(sweepOrphanScratch([{ dir: path.join(root, uidName), kind: 'chosen' }]), []);
      assert.ok(fs.existsSync(victim));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('§10.8 scratch markers from untrusted bytes', () => {
  test('the start time is field 22 of a /proc stat line even when the command name holds ") " and spaces', () => {
    assert.equal(startTimeOfStat('7 (a) b) c) S 1 7 7 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0\n'), '99');
    assert.equal(startTimeOfStat('15914 (cat) R 15912 15912 10570 0 -1 4194304 99 0 0 0 0 0 0 0 20 0 1 0 25083 3133440\n'), '25083');
    assert.equal(startTimeOfStat('1 (x) S 1 2'), null, 'a short line has none');
    assert.equal(startTimeOfStat('no parenthesis'), null);
  });

  test('an owner marker that is not an object with a positive integer pid is no marker', () => {
    assert.deepEqual(parseScratchOwner('{"pid":42,"start":"9"}'), { pid: 42, start: '9' });
    for (const bad of ['', 'null', '[]', '{"pid":"42"}', '{"pid":-1}', '{"pid":1.5}', '{"pid":1e300}', '{']) assert.equal(parseScratchOwner(bad), null, bad);
  });

  test('the scratch fuzz targets return on their seeds and on mutated bytes without throwing', async () => {
    const { targets } = await import('../fuzz/targets/scratch.js');
    let state = 0x5eed;
    const next = () => (state = (state * 1103515245 + 12345) & 0x7fffffff);
    for (const t of targets) {
      for (const seed of await t.seeds()) {
        for (let i = 0; i < 300; i++) {
          const b = Uint8Array.from(seed);
          for (let k = 0; k < 1 + (next() % 4); k++) if (b.length > 0) b[next() % b.length] = next() & 0xff;
          const input = next() % 5 === 0 ? b.subarray(0, next() % (b.length + 1)) : b;
          await t.run(input); // never throws
        }
      }
    }
  });
});
