/**
 * The loop every executor runs on its channel to the master (docs/protocol.md
 * §1, §11): assignments start attempts, results go back, `cancel` and
 * `shutdown` are honoured, heartbeats are answered, and a lost master (closed
 * channel or silent past its heartbeat timeout) stops everything. The plain
 * executor (`main.ts`, platform none) and the attested one
 * (`../attested/main.ts`) differ only in how an assignment becomes an
 * attempt and in what they wipe on the way out.
 */
import os from 'node:os';
import type { Channel } from '../../protocol/channel.js';
import { dispatch, type Handlers } from '../../protocol/dispatch.js';
import type { AssignMsg, MasterToWorker, WorkerToMaster } from '../../protocol/execution.js';
import { startAttempt, type Attempt, type FinishAttempt } from './attempt.js';
import { killAllGroups } from './command.js';
import { workerHeartbeat } from '../heartbeat.js';

export interface ExecutorLoop {
  /** True once the executor is stopping: no new attempt may start. */
  readonly stopping: boolean;
  /** Starts `msg` as an attempt (the master learns its process group) and reports its result, after `finish` (run while its scratch exists). */
  run(msg: AssignMsg, finish?: FinishAttempt): void;
  /** Cancels what runs, waits up to 5 s, runs `onStop`, exits. */
  stopAll(code: number): Promise<void>;
}

export interface ExecutorLoopOptions {
  readonly channel: Channel<WorkerToMaster, MasterToWorker>;
  /** For messages: the worker id or slot. */
  readonly name: string;
  /** What an assignment does; the plain executor calls `loop.run(msg)`. */
  assign(msg: AssignMsg, loop: ExecutorLoop): void;
  /** Last words before exit (e.g. wiping decrypted data). */
  onStop?(): void;
}

export function executorLoop(o: ExecutorLoopOptions): ExecutorLoop {
  const { channel } = o;
  const running = new Map<string, Attempt>();
  const pathEnv = process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin';
  let stopping = false;
  const loop: ExecutorLoop = {
    get stopping() {
      return stopping;
    },
    run(msg, finish) {
      if (stopping) return;
      const attempt = startAttempt(msg, pathEnv, (pgid) => channel.send({ type: 'started', id: msg.id, pgid }), finish);
      running.set(msg.id, attempt);
      void attempt.done.then((r) => {
        running.delete(msg.id);
        channel.send({ ...r, id: msg.id } as WorkerToMaster);
      });
    },
    async stopAll(code) {
      stopping = true;
      for (const a of running.values()) a.cancel();
      await Promise.race([Promise.allSettled([...running.values()].map((a) => a.done)), new Promise((r) => setTimeout(r, 5000))]);
      try {
        o.onStop?.();
      } finally {
        process.exit(code);
      }
    },
  };
  // §11: answer the master's beats; a master silent for its timeout is as gone as a closed channel.
  const heartbeat = workerHeartbeat(
    (m) => channel.send(m),
    (silentMs) => {
      process.stderr.write(`executor ${o.name}: no word from the master for ${(silentMs / 1000).toFixed(1)} s; stopping\n`);
      void loop.stopAll(0);
    },
  );
  const handlers: Handlers<MasterToWorker> = {
    heartbeat: (msg) => heartbeat.onHeartbeat(msg),
    assign(msg) {
      if (!stopping) o.assign(msg, loop);
    },
    cancel(msg) {
      running.get(msg.id)?.cancel();
    },
    shutdown() {
      void loop.stopAll(0);
    },
  };
  channel.onMessage((m) => (heartbeat.seen(), dispatch(handlers, m, (bad) => process.stderr.write(`executor ${o.name}: unknown message ${JSON.stringify(bad)}\n`))));
  channel.onClose(() => void loop.stopAll(0));
  // Whatever ends this process (shutdown, lost master, an uncaught error), its commands do not outlive it.
  process.on('exit', killAllGroups);
  channel.send({ type: 'ready', pid: process.pid, host: os.hostname() });
  return loop;
}
