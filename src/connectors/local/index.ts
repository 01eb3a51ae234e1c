/**
 * The `local` connector: workers are long-lived child processes of the
 * master on the same machine, talking over Node's IPC pipe. Each is started
 * in its own process group (so a terminal's Ctrl-C reaches only the master,
 * which then cancels in order) and exits by itself when the IPC pipe closes
 * (the master died). Local workers read shipped files in place.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { Connector, StartRequest, WorkerExit, WorkerHandle } from '../connector.js';
import { ipcChannel } from '../../protocol/channel.js';
import { validateWorkerToMaster, type MasterToWorker, type ReadyMsg, type WorkerToMaster } from '../../protocol/execution.js';
import { killWorkerGroup, reapGroups } from '../process-group.js';

const READY_TIMEOUT_MS = 20_000;

export const localConnector: Connector = {
  name: 'local',
  async start(req: StartRequest): Promise<WorkerHandle[]> {
    const started = Array.from({ length: req.count }, (_, i) => startOne(req, `${req.deployment}-${i + (req.firstIndex ?? 1)}`));
    const results = await Promise.allSettled(started);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      for (const r of results) if (r.status === 'fulfilled') r.value.kill();
      throw (failed as PromiseRejectedResult).reason;
    }
    return results.map((r) => (r as PromiseFulfilledResult<WorkerHandle>).value);
  },
};

function startOne(req: StartRequest, id: string): Promise<WorkerHandle> {
  const cmd = req.platform.launch({ program: req.program.entry, args: [...req.program.args, id], env: req.env, workDir: req.workDir });
  const child = spawn(cmd.command, [...cmd.args], {
    cwd: cmd.cwd,
    env: { ...cmd.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
    serialization: 'json',
  });
  const channel = ipcChannel<MasterToWorker, WorkerToMaster>(child, { validate: validateWorkerToMaster });
  const exited = new Promise<WorkerExit>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', () => resolve({ code: null, signal: null }));
  });
  const kill = () => killWorkerGroup(child);
  const reap = reapGroups;
  // Local workers' scratch lives on this machine: delete what a killed worker left.
  const wipe = (dirs: readonly string[]) => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  };
  return new Promise<WorkerHandle>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => fail(`did not report ready within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    const fail = (why: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      kill();
      reject(new Error(`worker ${id} (local, platform ${req.platform.name}) ${why}`));
    };
    child.on('error', (e) => fail(`could not start ${cmd.command}: ${e.message}`));
    void exited.then((x) => fail(`exited before it was ready (code ${x.code}, signal ${x.signal})`));
    channel.onMessage((m) => {
      if (done || m.type !== 'ready') return;
      done = true;
      clearTimeout(timer);
      const ready = m as ReadyMsg;
      resolve({ id, host: ready.host, pid: ready.pid, channel, exited, kill, reap, wipe });
    });
  });
}
