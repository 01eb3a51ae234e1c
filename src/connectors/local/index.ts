/**
 * The `local` connector: workers are child processes of the master on the
 * same machine. Each is started in its own process group (so a terminal's
 * Ctrl-C reaches only the master, which then cancels in order). A worker
 * shipped files gets a fresh directory of its own where they are linked
 * (local workers read them in place), removed when it exits; one without
 * files runs in the base directory, so a master killed with SIGKILL leaves
 * nothing of it behind. A plain worker talks over Node's IPC pipe and exits
 * by itself when the pipe closes (the master died).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connector, LaunchedWorker, LaunchRequest, WorkerExit } from '../connector.js';
import { ipcChannel } from '../../protocol/channel.js';
import { validateWorkerToMaster, type MasterToWorker, type WorkerToMaster } from '../../protocol/execution.js';
import { killWorkerGroup, reapGroups } from '../process-group.js';
import { checkLocalDeployment } from './check.js';

export const localConnector: Connector = {
  name: 'local',
  check: checkLocalDeployment,
  async launch(req: LaunchRequest): Promise<LaunchedWorker> {
    const base = req.localBase ?? os.tmpdir();
    const own = Object.keys(req.program.files).length > 0;
    const dir = own ? fs.mkdtempSync(path.join(base, `${req.slot}-`)) : base;
    const remove = () => {
      if (own) fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
      for (const [name, file] of Object.entries(req.program.files)) fs.symlinkSync(file, path.join(dir, name));
      const cmd = req.platform.launch({ program: req.program.entry, args: req.program.args(dir), env: req.env, workDir: dir });
      const child = spawn(cmd.command, [...cmd.args], {
        cwd: cmd.cwd,
        env: { ...cmd.env },
        stdio: req.ipc ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'inherit', 'inherit'],
        detached: true,
        ...(req.ipc ? { serialization: 'json' as const } : {}),
      });
      // At once: the worker's first message must find the channel listening.
      const ipc = req.ipc ? ipcChannel<MasterToWorker, WorkerToMaster>(child, { validate: validateWorkerToMaster }) : undefined;
      const exited = new Promise<WorkerExit>((resolve) => {
        child.on('exit', (code, signal) => resolve({ code, signal }));
        child.on('error', () => resolve({ code: null, signal: null }));
      }).then((x) => {
        remove();
        return x;
      });
      const started = await new Promise<boolean>((resolve) => {
        child.once('spawn', () => resolve(true));
        child.once('error', () => resolve(false));
      });
      if (!started || child.pid === undefined) {
        await exited;
        throw new Error(`worker ${req.slot} (local, platform ${req.platform.name}) could not start ${cmd.command}`);
      }
      return {
        host: os.hostname(),
        pid: child.pid,
        exited,
        kill: () => killWorkerGroup(child),
        reap: reapGroups,
        // Local workers' scratch lives on this machine: delete what a killed worker left.
        wipe: (dirs) => {
          for (const d of dirs) fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 });
        },
        ...(ipc ? { ipc } : {}),
      };
    } catch (e) {
      remove();
      throw e;
    }
  },
};
