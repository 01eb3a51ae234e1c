/**
 * The worker side of heartbeats (docs/protocol.md §11.3): answer each of the
 * master's beats, and watch the master. The watchdog arms on the first beat
 * (it adopts the master's timeout); before that the channel's own close is
 * what tells a worker its master is gone. Any message from the master counts
 * as a sign of life. When the master has been silent for the timeout,
 * `onMasterLost` runs once: the executor then cancels its attempts, wipes
 * their scratch and exits.
 */
import { HEARTBEAT_DEFAULTS, Watchdog, type HeartbeatMsg } from '../protocol/heartbeat.js';

export interface WorkerHeartbeat {
  /** Call for every message received from the master. */
  seen(): void;
  /** The `heartbeat` handler: answers and (re)arms the watchdog. */
  onHeartbeat(msg: HeartbeatMsg): void;
  stop(): void;
}

export function workerHeartbeat(send: (msg: HeartbeatMsg) => void, onMasterLost: (silentMs: number) => void): WorkerHeartbeat {
  const dog = new Watchdog(HEARTBEAT_DEFAULTS.timeoutMs, onMasterLost);
  return {
    seen: () => dog.touch(),
    onHeartbeat(msg) {
      if (typeof msg.timeoutMs === 'number' && msg.timeoutMs > 0) dog.setTimeout(msg.timeoutMs);
      dog.touch();
      dog.start();
      send({ type: 'heartbeat', seq: msg.seq });
    },
    stop: () => dog.stop(),
  };
}
