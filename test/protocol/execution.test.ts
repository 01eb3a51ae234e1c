import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { streamChannel } from '../../src/protocol/channel.js';
import { dispatch, type Handlers } from '../../src/protocol/dispatch.js';
import { MAX_FRAME_EXECUTION, validateMasterToWorker, validateWorkerToMaster, type MasterToWorker, type WorkerToMaster } from '../../src/protocol/execution.js';

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
});
