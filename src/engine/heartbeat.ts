/**
 * The master side of heartbeats (docs/protocol.md §11.2): one monitor per
 * worker. It sends a beat every interval (carrying the settings, so the
 * worker's watchdog uses the same timeout) and declares the worker dead when
 * nothing at all has arrived from it for the timeout — whatever the reason:
 * the process died without its channel closing, the host or the network
 * went away, the worker hung.
 */
import type { Channel } from '../protocol/channel.js';
import type { MasterToWorker, WorkerToMaster } from '../protocol/execution.js';
import { Watchdog, type HeartbeatSettings } from '../protocol/heartbeat.js';

export interface WorkerMonitor {
  /** Call for every message received from the worker. */
  seen(): void;
  stop(): void;
}

export function monitorWorker(channel: Channel<MasterToWorker, WorkerToMaster>, s: HeartbeatSettings, onDead: (reason: string) => void): WorkerMonitor {
  let seq = 0;
  const dog = new Watchdog(s.timeoutMs, (silent) => {
    clearInterval(beat);
    onDead(`no heartbeat for ${(silent / 1000).toFixed(1)} s (timeout ${s.timeoutMs / 1000} s)`);
  });
  const send = () => channel.send({ type: 'heartbeat', seq: ++seq, intervalMs: s.intervalMs, timeoutMs: s.timeoutMs });
  const beat = setInterval(send, s.intervalMs);
  beat.unref();
  send();
  dog.start();
  return {
    seen: () => dog.touch(),
    stop() {
      clearInterval(beat);
      dog.stop();
    },
  };
}
