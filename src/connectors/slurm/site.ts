/**
 * Where a slurm run's files live and how the connector reaches them — the
 * one thing that differs between a master that is a submit host and one that
 * reaches the cluster through a login node:
 *
 * - `localSite`: `workDir` is on storage this machine shares with the nodes;
 *   files are written here (shared-dir.ts), the master's ports are relayed
 *   from `masterAddress` on this machine (relay.ts), and the Slurm commands
 *   run here;
 * - `loginSite`: `workDir` is on the login node's file system; files go over
 *   ssh (ssh/run-dir.ts, ssh/stager.ts), the ports are forwarded and relayed
 *   on the login node (login.ts), and the Slurm commands run there.
 *
 * Either way a slot gets an opaque directory under the run's, and the
 * platform's command there with the paths the nodes see.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LaunchRequest, Stager } from '../connector.js';
import { OperationError } from '../../errors.js';
import { parseLaunchConfig } from '../../protocol/launch-config.js';
import type { Forward } from '../ssh/forward.js';
import { SshHost } from '../ssh/host.js';
import { shScript } from '../ssh/quote.js';
import type { RunDir } from '../ssh/run-dir.js';
import { hostScratchDir, hostStager } from '../ssh/stager.js';
import type { SlurmDeployment } from './deployment.js';
import { loginRelay, loginRunner } from './login.js';
import { relayPort, type Relay } from './relay.js';
import type { CommandRunner } from './runner.js';
import { makeSharedRunDir, sharedScratchDir, sweepDead, type SharedRunDir } from './shared-dir.js';

/** The provisioner's name in the run directory. */
export const ENTRY = 'provisioner.mjs';

export interface SlotLaunch {
  /** The slot's directory as the nodes see it (the job's working directory). */
  readonly dir: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Removes the slot's directory (and its forwards). */
  cleanup(): Promise<void>;
}

export interface Site {
  /** The run's directory (the jobs' `-o`/`-e` files go there). */
  readonly dir: string;
  /** Where the nodes dial the master's ports. */
  readonly address: string;
  /** How the Slurm commands run; undefined: on this machine. */
  readonly runner: CommandRunner | undefined;
  readonly stage: Stager;
  /** The login node's label, for messages. */
  readonly via: string | undefined;
  slot(req: LaunchRequest): Promise<SlotLaunch>;
  /** The text of a finished job's `-o`/`-e` files, which are removed. */
  takeOutput(files: readonly string[]): Promise<string>;
  /** Removes the scratch a killed worker left (the session's `<run scratch>/<pid>` paths). */
  wipe(dirs: readonly string[]): void;
  close(): Promise<void>;
}

const safeDirs = (dirs: readonly string[]) => dirs.filter((d) => d.startsWith('/') && !d.split('/').includes('..'));

/** Run directories of this master's live runs (never swept), on this machine. */
const liveDirs = new Set<string>();

export async function localSite(req: LaunchRequest, options: SlurmDeployment): Promise<Site> {
  sweepDead(options.workDir, liveDirs);
  const dir: SharedRunDir = makeSharedRunDir(options.workDir);
  liveDirs.add(dir.path);
  const relays: Relay[] = [];
  const close = async () => {
    for (const r of relays) await r.close().catch(() => undefined);
    dir.remove();
    liveDirs.delete(dir.path);
  };
  try {
    const at = `deployment "${req.deployment}" (slurm)`;
    const files = [[ENTRY, req.program.entry] as const, ...Object.entries(req.program.files)];
    for (const [name, file] of files) dir.copyIn(file, name);
    // What the platform will measure is the shared copy: it must hold the master's bytes.
    for (const [name, file] of files) {
      if (!fs.readFileSync(file).equals(fs.readFileSync(path.join(dir.path, name)))) throw new OperationError(`${at}: ${name} in ${dir.path} differs from the master's copy; does another process write in workDir?`);
    }
    const address = options.masterAddress!;
    for (const d of req.program.dials ?? []) relays.push(await relayPort(req.deployment, address, d.port));
  } catch (e) {
    await close();
    throw e;
  }
  return {
    dir: dir.path,
    address: options.masterAddress!,
    runner: undefined,
    stage: dir.stage,
    via: undefined,
    async slot(r) {
      const slotDir = dir.slot();
      for (const name of Object.keys(r.program.files)) fs.linkSync(path.join(dir.path, name), path.join(slotDir, name));
      const cmd = r.platform.launch({ program: path.join(dir.path, ENTRY), args: r.program.args(slotDir), env: r.env, workDir: slotDir });
      return { dir: slotDir, command: cmd.command, args: cmd.args, env: cmd.env, cleanup: async () => fs.rmSync(slotDir, { recursive: true, force: true }) };
    },
    async takeOutput(files) {
      let text = '';
      for (const f of files.filter((x) => x.startsWith(`${dir.path}/`))) {
        const t = fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim() : '';
        if (t !== '') text += `${t}\n`;
        fs.rmSync(f, { force: true });
      }
      return text;
    },
    wipe(dirs) {
      // Scratch a killed worker left, where the master sees it (node-local tmpfs ends with the job on most clusters).
      for (const d of safeDirs(dirs)) fs.rmSync(sharedScratchDir(d, dir.scratchId), { recursive: true, force: true });
    },
    close,
  };
}

/** Run-directory tokens of this master's live runs on login nodes (never swept). */
const liveTokens = new Set<string>();
const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

export async function loginSite(req: LaunchRequest, options: SlurmDeployment): Promise<Site> {
  const host = new SshHost(options.login!);
  let runDir: RunDir | undefined;
  let relay: { close(): Promise<void> } | undefined;
  const close = async () => {
    await relay?.close().catch(() => undefined);
    if (runDir) {
      liveTokens.delete(runDir.token);
      await runDir.remove().catch(() => undefined);
    }
    await host.close().catch(() => undefined);
  };
  let address: string;
  const uploaded = new Map<string, string>();
  /** Why the connection to the login node is gone, once the relay ended under the run. */
  let lost: string | undefined;
  try {
    const c = await host.connect();
    if (c.acceptedHostKey) process.stderr.write(`sealflow: deployment "${req.deployment}" (slurm): login node ${host.label}: accepted a new host key for ${c.acceptedHostKey.host} (${c.acceptedHostKey.fingerprints.join(', ')}), added to ${c.acceptedHostKey.knownHosts}\n`);
    address = options.masterAddress ?? c.hostname;
    await host.sweepDead({ live: [...liveTokens], minAgeSeconds: 0 });
    runDir = await host.makeRunDir();
    liveTokens.add(runDir.token);
    const d = runDir;
    const files = [[ENTRY, req.program.entry] as const, ...Object.entries(req.program.files)];
    for (const [name, u] of await Promise.all(files.map(([name, file]) => d.upload(file, name, 0o600).then((x) => [name, x.sha256] as const)))) uploaded.set(name, u);
    const ports = (req.program.dials ?? []).map((x) => x.port);
    relay = await loginRelay(host, address, ports, (why) => (lost = why));
  } catch (e) {
    await close();
    throw e;
  }
  const dir = runDir;
  const scratchId = randomBytes(8).toString('hex');
  const label = host.label;
  const lostError = (deployment: string) => new OperationError(`deployment "${deployment}" (slurm): the connection to login node ${label} was lost during the run (${lost}); workers there can no longer reach the master — check the login node and the network to it`);
  return {
    dir: dir.path,
    address,
    runner: loginRunner(host, options.transport.slurmConf),
    stage: hostStager(host, dir, scratchId),
    via: label,
    async slot(r) {
      const at = `worker ${r.slot} (deployment "${r.deployment}" (slurm), login node ${label})`;
      if (lost !== undefined) throw lostError(r.deployment);
      // The master's copy of the worker's directory: what the platform measures, and (sim) where its evidence socket is served.
      const local = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-w-'));
      const slotDir = `${dir.path}/${randomBytes(6).toString('hex')}`;
      let evidence: Forward | undefined;
      const cleanup = async () => {
        await evidence?.cancel().catch(() => undefined);
        await host.run(shScript('rm -rf -- "$1"', [slotDir])).catch(() => undefined);
        fs.rmSync(local, { recursive: true, force: true });
      };
      try {
        for (const [name, file] of Object.entries(r.program.files)) fs.symlinkSync(file, path.join(local, name));
        const cmd = r.platform.launch({ program: r.program.entry, args: r.program.args(local), env: r.env, workDir: local });
        // What the platform measured on the master is what the login node holds.
        for (const [name, file] of [[ENTRY, r.program.entry] as const, ...Object.entries(r.program.files)]) {
          if (uploaded.get(name) !== sha256(file)) throw new OperationError(`${at}: ${name} on the login node differs from the master's copy the platform measured; the run stops`);
        }
        const args = cmd.args.map((a) => {
          if (a === r.program.entry) return `${dir.path}/${ENTRY}`;
          if (a.startsWith(`${local}/`)) return `${dir.path}/${a.slice(local.length + 1)}`;
          if (a.startsWith('/')) throw new OperationError(`${at}: argument ${a} names a file the connector did not upload`);
          return a;
        });
        await host.runChecked(shScript('umask 077; mkdir -m 700 -- "$1"', [slotDir]), 'making a worker directory');
        const launchFile = Object.keys(r.program.files).find((n) => n.endsWith('.json'));
        if (r.platform.evidence === 'sim' && launchFile !== undefined) {
          const config = parseLaunchConfig(fs.readFileSync(path.join(local, launchFile), 'utf8'));
          if (config.evidence.kind === 'sim') evidence = await host.forwardRemoteToLocal({ socket: `${slotDir}/${config.evidence.socket}` }, { socket: path.resolve(local, config.evidence.socket) });
        }
        return { dir: slotDir, command: cmd.command, args, env: cmd.env, cleanup };
      } catch (e) {
        await cleanup();
        // Once the connection is gone no worker there can reach the master: say that, not which ssh step failed first.
        throw lost !== undefined ? lostError(r.deployment) : e;
      }
    },
    async takeOutput(files) {
      const mine = files.filter((x) => x.startsWith(`${dir.path}/`));
      if (mine.length === 0) return '';
      const out = await host.run(shScript('for f; do [ -f "$f" ] && cat -- "$f" && echo; rm -f -- "$f"; done; true', mine)).catch(() => null);
      return out?.stdout.toString('utf8').split('\n').filter((l) => l.trim() !== '').map((l) => `${l}\n`).join('') ?? '';
    },
    wipe(dirs) {
      const ds = safeDirs(dirs).map((d) => hostScratchDir(d, scratchId));
      if (ds.length > 0) void host.run(shScript('rm -rf -- "$@"', ds)).catch(() => undefined);
    },
    close,
  };
}
