/**
 * The executor: a long-lived worker process that receives step attempts on
 * the execution channel (docs/protocol.md §1) and runs them, several at once
 * if the master assigns several. It exits when told to shut down, or by
 * itself when the channel to the master closes (then it first kills what it
 * is running and removes their scratch directories).
 *
 * argv: [workerId]. Platform `none` starts it directly; attested platforms
 * will start it from the provisioner after the key exchange.
 */
import os from 'node:os';
import { ipcChannel } from '../../protocol/channel.js';
import { dispatch, type Handlers } from '../../protocol/dispatch.js';
import type { MasterToWorker, WorkerToMaster } from '../../protocol/execution.js';
import { startAttempt, type Attempt } from './attempt.js';
import { killAllGroups } from './command.js';
import { workerHeartbeat } from '../heartbeat.js';

const workerId = process.argv[2] ?? 'worker';
const channel = ipcChannel<WorkerToMaster, MasterToWorker>(process);
const running = new Map<string, Attempt>();
const pathEnv = process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin';
let stopping = false;

async function stopAll(exitCode: number): Promise<never> {
  stopping = true;
  for (const a of running.values()) a.cancel();
  await Promise.race([Promise.allSettled([...running.values()].map((a) => a.done)), new Promise((r) => setTimeout(r, 5000))]);
  process.exit(exitCode);
}

// §11: answer the master's beats; a master silent for its timeout is as gone as a closed channel.
const heartbeat = workerHeartbeat(
  (m) => channel.send(m),
  (silentMs) => {
    process.stderr.write(`executor ${workerId}: no word from the master for ${(silentMs / 1000).toFixed(1)} s; stopping\n`);
    void stopAll(0);
  },
);

const handlers: Handlers<MasterToWorker> = {
  heartbeat: (msg) => heartbeat.onHeartbeat(msg),
  assign(msg) {
    if (stopping) return;
    const attempt = startAttempt(msg, pathEnv, (pgid) => channel.send({ type: 'started', id: msg.id, pgid }));
    running.set(msg.id, attempt);
    void attempt.done.then((r) => {
      running.delete(msg.id);
      channel.send({ ...r, id: msg.id } as WorkerToMaster);
    });
  },
  cancel(msg) {
    running.get(msg.id)?.cancel();
  },
  shutdown() {
    void stopAll(0);
  },
};

channel.onMessage((m) => (heartbeat.seen(), dispatch(handlers, m, (bad) => process.stderr.write(`executor ${workerId}: unknown message ${JSON.stringify(bad)}\n`))));
channel.onClose(() => void stopAll(0));
// Whatever ends this process (shutdown, lost master, an uncaught error), its commands do not outlive it.
process.on('exit', killAllGroups);
// The master owns cancellation; a terminal's Ctrl-C reaching this group is left to it.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => void stopAll(143));
channel.send({ type: 'ready', pid: process.pid, host: os.hostname() });
