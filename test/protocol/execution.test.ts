import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { streamChannel } from '../../src/protocol/channel.js';
import { dispatch, type Handlers } from '../../src/protocol/dispatch.js';
import { MAX_FRAME_EXECUTION, USAGE_LIMITS, validateMasterToWorker, validateWorkerToMaster, type MasterToWorker, type WorkerToMaster } from '../../src/protocol/execution.js';

const toMaster = { validate: validateWorkerToMaster, maxFrame: MAX_FRAME_EXECUTION };
const toWorker = { validate: validateMasterToWorker, maxFrame: MAX_FRAME_EXECUTION };

describe('protocol §1 execution channel', () => {
  test('messages travel as newline-delimited JSON and are dispatched by type', async () => {
    const a2b = new PassThrough();
    const b2a = new PassThrough();
    const master = streamChannel<MasterToWorker, WorkerToMaster>(b2a, a2b, toMaster);
    const worker = streamChannel<WorkerToMaster, MasterToWorker>(a2b, b2a, toWorker);
    const seen: string[] = [];
    const handlers: Handlers<MasterToWorker> = {
      assign: (m) => seen.push(`assign ${m.id}`),
      cancel: (m) => seen.push(`cancel ${m.id}`),
      shutdown: () => seen.push('shutdown'),
      heartbeat: (m) => seen.push(`heartbeat ${m.seq}`),
    };
    const got = new Promise<void>((resolve) =>
      worker.onMessage((m) => {
        dispatch(handlers, m, () => seen.push('unknown'));
        if (m.type === 'shutdown') resolve();
      }),
    );
    master.send({ type: 'cancel', id: 'x[0]#1' });
    master.send({ type: 'shutdown' });
    await got;
    assert.deepEqual(seen, ['cancel x[0]#1', 'shutdown']);
    const ready = new Promise<WorkerToMaster>((resolve) => master.onMessage(resolve));
    worker.send({ type: 'ready', pid: 1, host: 'h' });
    assert.deepEqual(await ready, { type: 'ready', pid: 1, host: 'h' });
  });

  test('a message of an unknown type is reported, not ignored', () => {
    const handlers: Handlers<MasterToWorker> = { assign: () => undefined, cancel: () => undefined, shutdown: () => undefined, heartbeat: () => undefined };
    let unknown: unknown = null;
    dispatch(handlers, { type: 'launch-missiles' } as unknown as MasterToWorker, (m) => (unknown = m));
    assert.deepEqual(unknown, { type: 'launch-missiles' });
  });

  test('a malformed line closes the channel with a reason', async () => {
    const input = new PassThrough();
    const ch = streamChannel<MasterToWorker, WorkerToMaster>(input, new PassThrough(), toMaster);
    const closed = new Promise<string>((resolve) => ch.onClose(resolve));
    input.write('{"no-type":1}\n');
    assert.match(await closed, /protocol error \(invalid-message\): the message has no string field "type"/);
  });

  describe('§1.3 usage: what an attempt used, as the worker reports it', () => {
    const succeeded = (usage: unknown) => ({ type: 'succeeded', id: 'a[0]#1', outputs: {}, exitStatus: 0, durationMs: 5, usage });
    const failed = (usage: unknown) => ({ type: 'failed', id: 'a[0]#1', exitStatus: 1, signal: null, message: 'm', stderrTail: '', durationMs: 5, usage });

    test('a result with whole-number usage within the bounds passes, memory and threads optional, and a result without usage (an older worker) too', () => {
      for (const u of [{ cpuMs: 0 }, { cpuMs: 0, maxRssKiB: 0 }, { cpuMs: 1234, maxRssKiB: 102400, threads: 8 }, { cpuMs: USAGE_LIMITS.cpuMs, maxRssKiB: USAGE_LIMITS.maxRssKiB, threads: USAGE_LIMITS.threads }]) {
        assert.equal(typeof validateWorkerToMaster(succeeded(u)), 'object', JSON.stringify(u));
        assert.equal(typeof validateWorkerToMaster(failed(u)), 'object', JSON.stringify(u));
      }
      const { usage: _u, ...old } = succeeded(null);
      assert.equal(typeof validateWorkerToMaster(old), 'object');
    });

    test('a hostile worker cannot send negative, fractional, huge, non-numeric or extra usage values: the message is refused naming the field', () => {
      const hostile: [unknown, RegExp][] = [
        [{ cpuMs: -1, maxRssKiB: 0 }, /field usage\.cpuMs is not an integer from 0 to/],
        [{ cpuMs: 1.5, maxRssKiB: 0 }, /usage\.cpuMs/],
        [{ cpuMs: USAGE_LIMITS.cpuMs + 1, maxRssKiB: 0 }, /usage\.cpuMs/],
        [{ cpuMs: 1e308, maxRssKiB: 0 }, /usage\.cpuMs/],
        [{ cpuMs: '5', maxRssKiB: 0 }, /usage\.cpuMs/],
        [{ cpuMs: 5, maxRssKiB: -(2 ** 53) }, /usage\.maxRssKiB/],
        [{ cpuMs: 5, maxRssKiB: 2 ** 60 }, /usage\.maxRssKiB/],
        [{ cpuMs: 5, maxRssKiB: 1, threads: USAGE_LIMITS.threads + 1 }, /usage\.threads/],
        [{ cpuMs: 5, maxRssKiB: 1, threads: null }, /usage\.threads/],
        [{ cpuMs: 5, maxRssKiB: 1, hostile: true }, /usage has an unexpected field "hostile"/],
        [{ cpuMs: 5, maxRssKiB: 1, __proto__x: 1 }, /unexpected field/],
        [{ maxRssKiB: 1 }, /usage has no field "cpuMs"/],
        [[5, 1], /usage is not an object/],
        ['5ms', /usage is not an object/],
        [null, /usage is not an object/],
      ];
      for (const [u, why] of hostile) {
        for (const m of [succeeded(u), failed(u)]) {
          const r = validateWorkerToMaster(m);
          assert.equal(typeof r, 'string', `${JSON.stringify(u)} must be refused`);
          assert.match(r as string, why);
        }
      }
    });
  });
});
