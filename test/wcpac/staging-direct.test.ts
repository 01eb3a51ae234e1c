/**
 * docs/protocol.md §15.8: `transfers: direct` on a host without the
 * master's disk (src/master/staging.ts). An input a live worker produced is
 * not copied ahead: its source is marked lazy and the master puts its copy
 * on the host only when the worker reports the pull failed. Reports the
 * worker could forge — for a file it was not given lazily, for another
 * attempt, the same report again and again — copy nothing more. A
 * producer's outputs stay on its host, where consumers on that host read
 * them in place and consumers elsewhere ask for them by that path.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Stager } from '../../src/connectors/connector.js';
import { DataSources } from '../../src/master/sources.js';
import { stagedChannel } from '../../src/master/staging.js';
import type { Channel } from '../../src/protocol/channel.js';
import type { StagedMsg, TransferMsg } from '../../src/protocol/data-port.js';
import type { AssignMsg, MasterToWorker, WorkerToMaster } from '../../src/protocol/execution.js';
import type { SealedAssignMsg, SealedFile } from '../../src/protocol/sealed.js';
import type { AttestedWorker } from '../../src/master/broker/types.js';
import { setup, type Harness } from './harness.js';

/** A stager that records what it was asked (paths `/h/<n>`), and a worker end that records what it was sent. */
function fakes(name: string) {
  const puts: string[] = [];
  const discarded: string[] = [];
  let n = 0;
  const stager: Stager = {
    put: async (f) => (puts.push(f), `/${name}/put-${puts.length}`),
    fresh: () => `/${name}/fresh-${++n}`,
    getTree: async () => undefined,
    getFile: async () => undefined,
    scratch: (a) => `/${name}/scratch${a}`,
    discard: (r) => void discarded.push(...r),
  };
  const sent: (MasterToWorker | StagedMsg)[] = [];
  let fromWorker: (m: WorkerToMaster) => void = () => undefined;
  const inner: Channel<MasterToWorker, WorkerToMaster> = {
    send: (m) => void sent.push(m),
    onMessage: (h) => void (fromWorker = h),
    onClose: () => undefined,
    close: () => undefined,
  };
  return { stager, puts, discarded, sent, inner, fromWorker: (m: unknown) => fromWorker(m as WorkerToMaster) };
}

const assign = (id: string, files: Record<string, SealedFile>): SealedAssignMsg => ({
  type: 'assign', id, label: id,
  exec: { kind: 'command', argv: ['true'], shell: false, env: {}, globs: {} },
  inputs: Object.fromEntries(Object.keys(files).map((p, i) => [`in${i}`, { class: 'File', path: p }])), outputs: [], threads: 1,
  scratchDir: `/master/scratch/${id}`, outDir: `/master/out/${id}`, logBase: `/master/log/${id}`,
  sealed: { files, recipients: [] },
});

/** Lets queued promise chains run (the channel stages in order, asynchronously). */
const settle = () => new Promise<void>((r) => setImmediate(r));

async function withSources(f: (sources: DataSources, h: Harness) => Promise<void>): Promise<void> {
  const h = await setup();
  try {
    const sources = new DataSources(h.broker);
    for (const slot of ['a-1', 'b-1']) {
      h.broker.expect({ slot, deployment: slot.slice(0, 1), connector: 'ssh', platform: 'sim', transfers: 'direct' });
      h.broker.workers.set(slot, { ...h.broker.expected.get(slot)!, alive: true } as unknown as AttestedWorker);
      sources.join(slot, { host: `10.0.0.${slot === 'a-1' ? 1 : 2}`, port: 7000 }, () => undefined);
    }
    await f(sources, h);
  } finally {
    await h.close();
  }
}

describe('§15.8 direct transfers on hosts without the master\'s disk', () => {
  test('§15.8 a produced input is not copied ahead; a failed pull makes the master put its copy on the host once and answer staged', async () => {
    await withSources(async (sources) => {
      const w = fakes('b');
      const chan = stagedChannel(w.inner, w.stager, 'b-1', sources);
      const source = { slot: 'a-1', host: '10.0.0.1', port: 7000, id: '/a/out-1/x.age' };
      chan.send(assign('s[0]#1', { '/master/x.age': { sha256: 'aa', wrappedKey: 'k', source }, '/master/owner.age': { sha256: 'bb', wrappedKey: 'k' } }) as AssignMsg);
      await settle();
      assert.deepEqual(w.puts, ['/master/owner.age'], 'only the input without a live producer is copied ahead');
      const sent = w.sent[0] as SealedAssignMsg;
      const keys = Object.keys(sent.sealed.files);
      const lazyKey = keys.find((k) => sent.sealed.files[k]?.source) ?? '';
      assert.ok(lazyKey?.startsWith('/b/fresh-'), `the lazy input has an opaque key on the host: ${keys.join(', ')}`);
      assert.deepEqual(sent.sealed.files[lazyKey]?.source, { ...source, lazy: true });
      assert.ok(!JSON.stringify(sent).includes('/master/x.age'), 'the master\'s path of the lazy input is not sent');

      const got: WorkerToMaster[] = [];
      chan.onMessage((m) => void got.push(m));
      const report: TransferMsg = { type: 'transfer', id: 's[0]#1', file: lazyKey, from: 'a-1', outcome: 'fallback', bytes: 0, ms: 3, reason: 'connect' };
      for (let i = 0; i < 100; i++) w.fromWorker(report);
      await settle();
      assert.deepEqual(w.puts, ['/master/owner.age', '/master/x.age'], 'the master\'s copy is put on the host once, however often the fallback is reported');
      const staged = w.sent.filter((m) => m.type === 'staged');
      assert.deepEqual(staged, [{ type: 'staged', id: 's[0]#1', file: lazyKey, path: '/b/put-2' }]);
      assert.equal(got.length, 100);
      assert.equal((got[0] as unknown as TransferMsg).file, '/master/x.age', 'the journalled report names the master\'s path again');
    });
  });

  test('§15.8 fallback reports for a file the attempt was not given lazily, or for another attempt, copy nothing and are not answered', async () => {
    await withSources(async (sources) => {
      const w = fakes('b');
      const chan = stagedChannel(w.inner, w.stager, 'b-1', sources);
      chan.send(assign('s[0]#1', { '/master/x.age': { sha256: 'aa', wrappedKey: 'k', source: { slot: 'a-1', host: '10.0.0.1', port: 7000 } } }) as AssignMsg);
      await settle();
      const lazyKey = Object.keys((w.sent[0] as SealedAssignMsg).sealed.files)[0]!;
      const forged: TransferMsg[] = [
        { type: 'transfer', id: 's[0]#1', file: '/master/secret.age', from: 'a-1', outcome: 'fallback', bytes: 0, ms: 0 },
        { type: 'transfer', id: 's[0]#1', file: '/etc/shadow', from: 'a-1', outcome: 'fallback', bytes: 0, ms: 0 },
        { type: 'transfer', id: 'other[0]#1', file: lazyKey, from: 'a-1', outcome: 'fallback', bytes: 0, ms: 0 },
      ];
      for (const m of forged) w.fromWorker(m);
      await settle();
      assert.deepEqual(w.puts, [], 'nothing was copied to the host');
      assert.deepEqual(w.sent.filter((m) => m.type === 'staged'), [], 'nothing was answered');
    });
  });

  test('§15.8 a producer\'s outputs stay on its host: consumers there read them in place, consumers elsewhere ask the producer for that path', async () => {
    await withSources(async (sources) => {
      const a = fakes('a');
      const prod = stagedChannel(a.inner, a.stager, 'a-1', sources);
      prod.onMessage((m) => {
        if (m.type === 'succeeded') for (const p of Object.values(m.outputs as Record<string, { path: string }>)) sources.produced('a-1', p.path);
      });
      prod.send(assign('p[0]#1', {}) as AssignMsg);
      await settle();
      const remoteOut = (a.sent[0] as SealedAssignMsg).outDir;
      a.fromWorker({ type: 'succeeded', id: 'p[0]#1', outputs: { out: { class: 'File', path: `${remoteOut}/x.age`, sha256: 'cc' } }, durationMs: 1 });
      await settle();
      assert.ok(!a.discarded.includes(remoteOut), 'the output directory stays on the producer\'s host');

      // A second worker on the producer's host: reads the file where it is, no source, no copy.
      const a2 = fakes('a');
      const same = stagedChannel(a2.inner, a.stager, 'a-2', sources);
      same.send(assign('c[0]#1', { '/master/out/p[0]#1/x.age': { sha256: 'cc', wrappedKey: 'k', source: { slot: 'a-1', host: '10.0.0.1', port: 7000 } } }) as AssignMsg);
      await settle();
      assert.deepEqual((a2.sent[0] as SealedAssignMsg).sealed.files, { [`${remoteOut}/x.age`]: { sha256: 'cc', wrappedKey: 'k' } });
      assert.deepEqual(a.puts, []);

      // A worker on another host is told the producer's path as the id to ask for.
      assert.equal(sources.sourceFor('/master/out/p[0]#1/x.age', 'b-1')?.id, `${remoteOut}/x.age`);
    });
  });

  test('§15.8 the offer of an attempt the master did not record (refused), or of a producer since superseded, is never named or read in place', async () => {
    await withSources(async (sources) => {
      const a = fakes('a');
      const prod = stagedChannel(a.inner, a.stager, 'a-1', sources);
      prod.send(assign('p[0]#1', {}) as AssignMsg);
      await settle();
      const remoteOut = (a.sent[0] as SealedAssignMsg).outDir;
      a.fromWorker({ type: 'succeeded', id: 'p[0]#1', outputs: { out: { class: 'File', path: `${remoteOut}/x.age`, sha256: 'cc' } }, durationMs: 1 });
      await settle();
      const id = '/master/out/p[0]#1/x.age';
      // Not recorded (the sealed channel refused the report): no in-place read, no producer id.
      assert.equal(sources.onHost(id, a.stager), undefined);
      assert.equal(sources.sourceFor(id, 'b-1'), undefined);
      // Recorded from another worker's attempt: a-1's offer is not that file.
      sources.produced('b-1', id);
      assert.equal(sources.onHost(id, a.stager), undefined);
      assert.equal(sources.sourceFor(id, 'a-1')?.id, undefined, 'b-1 is named, without a-1\'s path');
    });
  });

  test('a heartbeat is not held behind an assignment whose inputs are still being copied to the host', async () => {
    const w = fakes('b');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slowPut = w.stager.put;
    const stager: Stager = { ...w.stager, put: async (f) => (await gate, slowPut(f)) };
    const chan = stagedChannel(w.inner, stager, 'b-1');
    chan.send(assign('g[0]#1', { '/master/a.age': { sha256: 'aa', wrappedKey: 'k' }, '/master/b.age': { sha256: 'bb', wrappedKey: 'k' } }) as AssignMsg);
    chan.send({ type: 'heartbeat', seq: 7 } as MasterToWorker);
    await settle();
    assert.deepEqual(w.sent.map((m) => m.type), ['heartbeat'], 'the heartbeat went out while the inputs were copied');
    release();
    await settle();
    await settle();
    assert.deepEqual(w.sent.map((m) => m.type), ['heartbeat', 'assign']);
    assert.deepEqual(w.puts.sort(), ['/master/a.age', '/master/b.age']);
  });
});
