/**
 * docs/protocol.md §11 heartbeats, on a pair of in-memory stream channels:
 * the master's monitor and the worker's answer keep each other alive; a
 * silent worker is declared dead, a silent master is noticed by the worker.
 * The clock is a fake one (test/helpers/fake-clock.ts: timers and Date.now):
 * the bounds checked are exact, whatever the machine's speed or load.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { streamChannel } from '../../src/protocol/channel.js';
import { dispatch, type Handlers } from '../../src/protocol/dispatch.js';
import { MAX_FRAME_EXECUTION, validateMasterToWorker, validateWorkerToMaster, type MasterToWorker, type WorkerToMaster } from '../../src/protocol/execution.js';
import { heartbeatSettings, HEARTBEAT_DEFAULTS, Watchdog } from '../../src/protocol/heartbeat.js';
import { monitorWorker } from '../../src/engine/heartbeat.js';
import { workerHeartbeat } from '../../src/worker/heartbeat.js';
import { installFakeClock, type FakeClock } from '../helpers/fake-clock.js';

let clock: FakeClock;

/** Lets the in-memory streams deliver what was sent (real setImmediate turns: only timers and Date.now are fake). */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
}

/** Advances the fake clock by `ms`, 5 ms at a time, delivering messages after each step. */
async function sleep(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 5) {
    clock.tick(Math.min(5, ms - t));
    await settle();
  }
}

function pair() {
  const m2w = new PassThrough();
  const w2m = new PassThrough();
  return {
    master: streamChannel<MasterToWorker, WorkerToMaster>(w2m, m2w, { validate: validateWorkerToMaster, maxFrame: MAX_FRAME_EXECUTION }),
    worker: streamChannel<WorkerToMaster, MasterToWorker>(m2w, w2m, { validate: validateMasterToWorker, maxFrame: MAX_FRAME_EXECUTION }),
  };
}

describe('§11 heartbeats', () => {
  beforeEach(() => (clock = installFakeClock()));
  afterEach(() => clock.uninstall());

  test('§11.1 the defaults detect a dead peer within 5 s, and the environment can change them within sane bounds', () => {
    assert.ok(HEARTBEAT_DEFAULTS.timeoutMs * 1.25 <= 5000);
    assert.ok(HEARTBEAT_DEFAULTS.intervalMs * 2 <= HEARTBEAT_DEFAULTS.timeoutMs);
    assert.deepEqual(heartbeatSettings({ SEALFLOW_HEARTBEAT_INTERVAL_MS: '200', SEALFLOW_HEARTBEAT_TIMEOUT_MS: '900' }), { intervalMs: 200, timeoutMs: 900 });
    assert.deepEqual(heartbeatSettings({ SEALFLOW_HEARTBEAT_INTERVAL_MS: '500', SEALFLOW_HEARTBEAT_TIMEOUT_MS: '600' }), { intervalMs: 500, timeoutMs: 1000 }, 'timeout at least two intervals');
    assert.deepEqual(heartbeatSettings({ SEALFLOW_HEARTBEAT_INTERVAL_MS: '1', SEALFLOW_HEARTBEAT_TIMEOUT_MS: 'x' }), { intervalMs: 50, timeoutMs: HEARTBEAT_DEFAULTS.timeoutMs });
    assert.deepEqual(heartbeatSettings({}), HEARTBEAT_DEFAULTS);
  });

  test('§11.1 a watchdog fires once after the timeout of silence, and not while it is touched', async () => {
    let fired = 0;
    const dog = new Watchdog(200, () => fired++).start();
    for (let i = 0; i < 6; i++) {
      await sleep(60);
      dog.touch();
    }
    assert.equal(fired, 0);
    await sleep(400);
    assert.equal(fired, 1);
    await sleep(200);
    assert.equal(fired, 1);
    dog.stop();
  });

  test('§11.2 §11.3 a worker that answers stays alive; once it stops answering the master declares it dead within 1.25 × the timeout', async () => {
    const { master, worker } = pair();
    let answering = true;
    let masterLost = false;
    const hb = workerHeartbeat((m) => (answering ? worker.send(m) : undefined), () => (masterLost = true));
    const handlers: Handlers<MasterToWorker> = { heartbeat: (m) => hb.onHeartbeat(m), assign: () => undefined, cancel: () => undefined, shutdown: () => undefined };
    worker.onMessage((m) => (hb.seen(), dispatch(handlers, m, () => undefined)));
    let dead: { reason: string; at: number } | null = null;
    const mon = monitorWorker(master, { intervalMs: 50, timeoutMs: 300 }, (reason) => (dead = { reason, at: Date.now() }));
    const beats: number[] = [];
    master.onMessage((m) => {
      mon.seen();
      if (m.type === 'heartbeat') beats.push(m.seq);
    });
    await sleep(700);
    assert.equal(dead, null, 'an answering worker is not declared dead');
    assert.ok(beats.length >= 5, `the worker answered ${beats.length} beats`);
    assert.equal(masterLost, false);
    answering = false;
    const stoppedAt = Date.now();
    await sleep(600);
    assert.ok(dead, 'a silent worker is declared dead');
    const d = dead as { reason: string; at: number };
    assert.match(d.reason, /no heartbeat for \d+\.\d s \(timeout 0\.3 s\)/);
    assert.ok(d.at - stoppedAt <= 300 * 1.25, `declared dead after ${d.at - stoppedAt} ms`);
    mon.stop();
    hb.stop();
  });

  test('§11.3 a worker whose master falls silent notices it within the timeout the master announced', async () => {
    const { master, worker } = pair();
    let lostAfter = -1;
    const hb = workerHeartbeat((m) => worker.send(m), (silent) => (lostAfter = silent));
    worker.onMessage((m) => (hb.seen(), m.type === 'heartbeat' ? hb.onHeartbeat(m) : undefined));
    master.send({ type: 'heartbeat', seq: 1, intervalMs: 50, timeoutMs: 250 });
    await sleep(150);
    master.send({ type: 'heartbeat', seq: 2, intervalMs: 50, timeoutMs: 250 });
    await sleep(150);
    assert.equal(lostAfter, -1, 'not yet: the last beat was 150 ms ago');
    await sleep(300);
    assert.ok(lostAfter >= 250 && lostAfter < 400, `noticed after ${lostAfter} ms of silence`);
    hb.stop();
  });
});
