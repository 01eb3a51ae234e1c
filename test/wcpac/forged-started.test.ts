/**
 * docs/protocol.md §16.5: a worker's `started` names the process group the
 * master SIGKILLs if the worker dies. A forged worker naming the master's own
 * group is refused and revoked; a group it did not start is never passed to
 * the pool (so never killed); a group the worker did start is kept; a group whose
 * leader is already gone is dropped (never killed).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { bench, forger, type Bench, type Forger } from './forger.js';
import { keepRemoteGroup } from '../../src/master/started-check.js';
import { ReportRefusal } from '../../src/master/output-rules.js';

let b: Bench;
let n = 100;
const children: ChildProcess[] = [];
before(async () => {
  b = await bench();
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await b.close();
});

/** A stand-in for a worker's process that starts one command leading its own group; resolves with both pids. */
async function workerWithCommand(): Promise<{ worker: number; group: number }> {
  const w = spawn(process.execPath, ['-e', "const c = require('node:child_process').spawn('sleep', ['60'], { detached: true, stdio: 'ignore' }); process.stdout.write(c.pid + '\\n'); setInterval(() => {}, 1000);"], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(w);
  const [line] = (await once(w.stdout!, 'data')) as [Buffer];
  const group = Number(line.toString().trim());
  children.push({ exitCode: null, signalCode: null, kill: () => { try { process.kill(-group, 'SIGKILL'); } catch { /* gone */ } } } as unknown as ChildProcess);
  return { worker: w.pid as number, group };
}

/** Sends `started` then a heartbeat; resolves once the master processed both (messages are handled in order). */
async function started(f: Forger, pgid: unknown): Promise<void> {
  f.send({ type: 'started', id: f.id, pgid } as never);
  f.send({ type: 'heartbeat', seq: 1 });
  await f.delivered((m) => m.type === 'heartbeat' || (m.type === 'failed' && m.id === f.id));
}

function refusedAndRevoked(f: Forger, reason: string): void {
  assert.ok(!f.seen.some((m) => m.type === 'started'), 'the engine never sees the group');
  const failed = f.seen.find((m) => m.type === 'failed' && m.id === f.id);
  assert.ok(failed, 'the attempt fails');
  const d = b.h.decisions.find((x) => x.type === 'report-refused' && x.worker === f.slot);
  assert.deepEqual(d && d.type === 'report-refused' ? [d.reason, d.forged] : null, [reason, true]);
  assert.equal(b.h.broker.workers.get(f.slot)?.alive, false, 'revoked');
}

const ownGroup = (): number => Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ')[2]);

describe('§16.5 a forged worker cannot make the master kill a process group it did not start', () => {
  test('naming the master\'s own process group is refused and revokes the worker', async () => {
    const { worker } = await workerWithCommand();
    const f = await forger(b, ++n, worker);
    await started(f, ownGroup());
    refusedAndRevoked(f, 'started-foreign-group');
    await f.closed;
  });

  test('a process group the worker did not start is never kept for reaping, and (a pid may have been reused) does not revoke the worker', async () => {
    const { worker } = await workerWithCommand();
    const other = await workerWithCommand(); // another process tree's command group
    const f = await forger(b, ++n, worker);
    await started(f, other.group);
    assert.ok(!f.seen.some((m) => m.type === 'started'), 'the engine never sees the group, so it is never killed');
    assert.equal(b.h.broker.workers.get(f.slot)?.alive, true, 'not revoked');
    assert.ok(!b.h.decisions.some((d) => d.type === 'report-refused' && d.worker === f.slot));
  });

  test('a pid that no longer leads its own group (taken by another process) is dropped, not refused', async () => {
    const { worker } = await workerWithCommand();
    const f = await forger(b, ++n, worker);
    await started(f, worker); // the stand-in worker itself: alive, but it leads no group of its own
    assert.ok(!f.seen.some((m) => m.type === 'started'));
    assert.equal(b.h.broker.workers.get(f.slot)?.alive, true);
  });

  test('a process group id that is not a positive integer above 1 is refused', async () => {
    for (const bad of [1, 0, -1]) {
      const { worker } = await workerWithCommand();
      const f = await forger(b, ++n, worker);
      await started(f, bad);
      refusedAndRevoked(f, 'started-bad-group');
    }
  });

  test('a process group id that is not an integer at all is refused by the message schema: the connection closes and the refusal is journalled', async () => {
    for (const bad of [2.5, '123', null]) {
      const { worker } = await workerWithCommand();
      const f = await forger(b, ++n, worker);
      f.send({ type: 'started', id: f.id, pgid: bad } as never);
      await f.closed;
      assert.ok(!f.seen.some((m) => m.type === 'started'), 'the engine never sees the group');
      const d = b.h.decisions.find((x) => x.type === 'protocol-refusal' && x.worker === f.slot);
      assert.equal(d?.type === 'protocol-refusal' ? d.reason : null, 'invalid-message', JSON.stringify(bad));
    }
  });

  test('the group of a command the worker started is kept for reaping', async () => {
    const { worker, group } = await workerWithCommand();
    const f = await forger(b, ++n, worker);
    await started(f, group);
    const s = f.seen.find((m) => m.type === 'started');
    assert.equal(s?.type === 'started' ? s.pgid : null, group);
    assert.equal(b.h.broker.workers.get(f.slot)?.alive, true);
  });

  test('a group whose leader has already exited is dropped, not kept and not refused', async () => {
    const { worker, group } = await workerWithCommand();
    process.kill(-group, 'SIGKILL');
    const f = await forger(b, ++n, worker);
    // Until the leader is really gone (reaped by its parent), as the master then finds it.
    const reaped = spawn(process.execPath, ['-e', `const f=require('fs');(function w(){try{f.readFileSync('/proc/${group}/stat');setImmediate(w)}catch{process.exit(0)}})()`]);
    await once(reaped, 'exit');
    await started(f, group);
    assert.ok(!f.seen.some((m) => m.type === 'started'), 'not kept');
    assert.equal(b.h.broker.workers.get(f.slot)?.alive, true, 'not revoked');
  });

  test('a worker on another host names its host\'s groups: one whose id is the master\'s own group is kept (reaped on that host), a malformed one is still refused', async () => {
    // ssh workers' pids are their host's: after a few hundred steps one equalled a master pid and the run failed.
    assert.equal(await keepRemoteGroup(process.pid), true);
    for (const bad of [1, 0, -5, 2.5, '7']) await assert.rejects(keepRemoteGroup(bad), (e: unknown) => e instanceof ReportRefusal && e.reason === 'started-bad-group');
  });
});
