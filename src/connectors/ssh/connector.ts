/**
 * The `ssh` connector (docs/connectors/ssh.md): workers on hosts reached with
 * the system OpenSSH client. Per run and deployment, one SshHost: connect
 * (host key checked against known_hosts; a newly accepted key's fingerprint
 * is reported), check `node` and the remote tools, sweep run directories of
 * dead runs, make this run's directory (opaque name) and upload the program
 * (the provisioner bundle, its launch configuration, the sealed executor
 * bundle) under fixed names that say nothing of the workflow, and forward
 * the master's ports the program dials from the same loopback ports on the
 * host (`reach: ssh-tunnel`). Per slot: a subdirectory, the platform's
 * command run there, and (sim) the evidence socket forwarded from the slot
 * directory to the master, where the sim root stays.
 *
 * The platform measures what it launches on the master's copy of the files;
 * the connector checks that the bytes uploaded (SHA-256 reported by the
 * host) are exactly those bytes. Nothing secret travels: the files are
 * public or sealed, keys come only through WCPAC.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Connector, LaunchedWorker, LaunchRequest, Stager, WorkerExit } from '../connector.js';
import { parseLaunchConfig } from '../../protocol/launch-config.js';
import type { Forward } from './forward.js';
import { checkSshDeployment } from './check.js';
import { SshError } from './errors.js';
import { SshHost } from './host.js';
import { checkPlatformNeeds } from './platform-needs.js';
import { compileSshOptions, SSH_OPTION_KEYS, type CompiledSshOptions } from './options.js';
import { shScript } from './quote.js';
import type { RunDir } from './run-dir.js';
import { hostScratchDir, hostStager } from './stager.js';
import { sweepHostScratch } from './scratch-sweep.js';
import { scratchBase } from '../../protocol/scratch.js';
import { RunRegistry } from '../run-registry.js';
import { digestFileSync } from '../../crypto/digest-file.js';

/** The provisioner's name in the run directory. */
const ENTRY = 'provisioner.mjs';

interface HostRun {
  readonly host: SshHost;
  readonly options: CompiledSshOptions;
  readonly dir: RunDir;
  /** Name in the run directory -> SHA-256 the host reported for it. */
  readonly uploaded: ReadonlyMap<string, string>;
  readonly forwards: Forward[];
  /** Ciphertexts to and from the host (the host does not share the master's disk). */
  readonly stage: Stager;
  /** This host's directory under the run's scratch directory (stager.ts). */
  readonly scratchId: string;
  /** The address the connection went to (after ~/.ssh/config): where other hosts reach this one's data ports (§15.8). */
  readonly address: string;
}

/**
 * Run id -> `<deployment> <host index>` -> that host, prepared once, and
 * again once its connection is found lost (liveness below).
 */
const runs = new RunRegistry<HostRun>();
/** Run-directory tokens of this master's live runs (never swept). */
const liveTokens = new Set<string>();

/** SHA-256 of a file of the master's, hashed again only when its size, mtime or inode changed (an Occlum image is ~100 MB; every launch checks it). */
const hashed = new Map<string, { stamp: string; sha256: string }>();
function sha256(file: string): string {
  const st = fs.statSync(file, { bigint: true });
  const stamp = `${st.size} ${st.mtimeNs} ${st.ctimeNs} ${st.ino}`;
  const known = hashed.get(file);
  if (known?.stamp === stamp) return known.sha256;
  const digest = digestFileSync(file); // streamed in 1 MiB pieces: the image is not held in memory whole
  hashed.set(file, { stamp, sha256: digest });
  return digest;
}

function sshOptions(req: LaunchRequest): CompiledSshOptions {
  const raw: Record<string, unknown> = {};
  for (const k of SSH_OPTION_KEYS) if (req.options[k] !== undefined) raw[k] = req.options[k];
  return compileSshOptions(req.deployment, raw);
}

async function prepare(req: LaunchRequest, options: CompiledSshOptions, previous: RunDir | undefined): Promise<HostRun> {
  const host = new SshHost(options);
  const at = `deployment "${req.deployment}": host ${host.label}`;
  let dir: RunDir | undefined;
  const forwards: Forward[] = [];
  try {
    const c = await host.connect();
    if (c.acceptedHostKey) {
      process.stderr.write(`sealflow: ${at}: accepted a new host key for ${c.acceptedHostKey.host} (${c.acceptedHostKey.fingerprints.join(', ')}), added to ${c.acceptedHostKey.knownHosts}\n`);
    }
    // This run's directory from a connection that was lost: ours, and of no further use.
    if (previous) await host.run(shScript('rm -rf -- "$1"', [previous.path])).catch(() => undefined);
    // The checks and the run directory at once, over the one shared connection (each is a round trip:
    // bench/connectors `ready` times them); a failed check still removes the directory (below).
    const made = (async () => {
      // No age limit: a directory's lock is taken before its marker is written, so a marked directory
      // whose lock is free belongs to a master that is gone (run-dir.ts).
      // With the scratch its dead workers left (plaintext), swept at once; a failed scratch sweep never stops the run.
      await Promise.all([host.sweepDead({ live: [...liveTokens], minAgeSeconds: 0 }), Promise.resolve().then(() => sweepHostScratch(host, scratchBase().dir)).catch(() => 0)]);
      dir = await host.makeRunDir();
      liveTokens.add(dir.token);
      return dir;
    })();
    const checks = await Promise.allSettled([host.checkNode(), host.checkTools(), checkPlatformNeeds(host, req), made]);
    for (const r of checks) if (r.status === 'rejected') throw r.reason;
    const runDir = await made;
    for (const d of req.program.dials ?? []) {
      if (d.host !== '127.0.0.1' && d.host !== 'localhost') throw new Error(`${at}: the master listens on ${d.host}:${d.port}; reach: ssh-tunnel needs it on 127.0.0.1`);
    }
    // A platform that ships the provisioner among its files (gramine: a trusted file) gets it once, as ENTRY; the launch checks its bytes.
    const uploads = [[ENTRY, req.program.entry] as const, ...Object.entries(req.program.files).filter(([n]) => n !== ENTRY)];
    const [sums] = await Promise.all([
      Promise.all(uploads.map(([name, file]) => runDir.upload(file, name, 0o600).then((u) => [name, u.sha256] as const))),
      Promise.all((req.program.dials ?? []).map((d) => host.forwardRemoteToLocal({ port: d.port }, { host: '127.0.0.1', port: d.port }).then((f) => void forwards.push(f)))),
    ]);
    const uploaded = new Map<string, string>(sums);
    const scratchId = randomBytes(8).toString('hex');
    return { host, options, dir: runDir, uploaded, forwards, scratchId, stage: hostStager(host, runDir, scratchId), address: c.hostname };
  } catch (e) {
    if (dir) {
      liveTokens.delete(dir.token);
      await dir.remove().catch(() => undefined);
    }
    await host.close().catch(() => undefined);
    throw e;
  }
}

/**
 * Liveness: a host's run is usable while its control master runs. Once it
 * is gone (killed, or keep-alives unanswered: the connection or the host
 * was lost) every session over it has ended; the next launch on that host
 * connects afresh, into a new run directory, and removes the old one.
 */
async function alive(run: HostRun): Promise<boolean> {
  return (await run.host.masterPid().catch(() => null)) !== null;
}

/** The host `i` of the deployment, prepared for this run (again, if its connection was lost). */
async function hostRun(req: LaunchRequest, options: CompiledSshOptions, i: number): Promise<HostRun> {
  const byDeployment = runs.of(req.runId);
  const key = `${req.deployment} ${i}`;
  const cached = byDeployment.get(key);
  let previous: RunDir | undefined;
  if (cached) {
    const run = await cached.catch(() => null);
    if (!run) {
      // Its preparation failed meanwhile: start afresh.
      if (byDeployment.get(key) === cached) byDeployment.delete(key);
      return hostRun(req, options, i);
    }
    if (await alive(run)) return run;
    if (byDeployment.get(key) === cached) {
      byDeployment.delete(key);
      liveTokens.delete(run.dir.token);
      await run.host.close().catch(() => undefined);
    }
    previous = run.dir;
    const again = byDeployment.get(key);
    if (again) return again;
  }
  const p = prepare(req, options, previous);
  byDeployment.set(key, p);
  p.catch(() => {
    if (byDeployment.get(key) === p) byDeployment.delete(key);
  });
  return p;
}

/** SSH failures that say the host is not there now (another host may take the worker), not that the configuration is wrong. */
const HOST_AWAY: ReadonlySet<string> = new Set(['unreachable', 'ssh', 'remote']);

/**
 * The host a slot starts on: slots are spread over the deployment's hosts
 * in turn; a host that cannot be reached now is skipped for the next one
 * (a warning line names it). Configuration errors (host keys,
 * authentication, `node`) are never skipped.
 */
async function pickHost(req: LaunchRequest): Promise<HostRun> {
  const o = sshOptions(req);
  const n = Number(/-(\d+)$/.exec(req.slot)?.[1] ?? '1');
  const start = (Math.max(1, n) - 1) % o.hosts.length;
  const errors: string[] = [];
  for (let k = 0; k < o.hosts.length; k++) {
    const i = (start + k) % o.hosts.length;
    try {
      return await hostRun(req, { ...o, host: o.hosts[i]! }, i);
    } catch (e) {
      if (o.hosts.length === 1 || !(e instanceof SshError) || !HOST_AWAY.has(e.kind)) throw e;
      errors.push(e.message);
      if (k + 1 < o.hosts.length) process.stderr.write(`sealflow: worker ${req.slot}: ${e.message}; trying the deployment's next host\n`);
    }
  }
  throw new Error(`deployment "${req.deployment}": none of its ${o.hosts.length} hosts could take worker ${req.slot}: ${errors.join('; ')}`);
}

/** The platform's command, rewritten from the master's copy of the worker's directory to the host's (exported for its hostile tests). */
export function remoteArgv(req: Pick<LaunchRequest, 'slot' | 'deployment' | 'platform' | 'program'>, local: string, run: { readonly host: { readonly label: string }; readonly dir: { readonly path: string }; readonly options: { readonly nodePath: string } }, command: string, args: readonly string[], slotDir: string, hostPaths: readonly string[] = []): string[] {
  const at = `worker ${req.slot} (deployment "${req.deployment}": host ${run.host.label})`;
  if (command !== process.execPath) {
    // A platform's own launcher (gramine-sgx under sh, …): a program the host's PATH names, run in the slot
    // directory, where the uploaded files are linked (platformSlot); the worker directory inside any argument
    // (the unmeasured values' bundle path) becomes the slot's, and no other absolute path of this machine may appear.
    if (command.includes('/')) throw new Error(`${at}: platform ${req.platform.name} starts ${command}, a path on this machine; the ssh connector runs only programs named by the host's PATH`);
    return [command, ...args.map((a) => {
      if (hostPaths.includes(a)) return a; // a path on the host the platform names by design (a cvm image), never this machine's
      const m = a.split(`${local}/`).join(`${slotDir}/`);
      if ((m.startsWith('/') && !m.startsWith(`${slotDir}/`)) || m.includes(`${slotDir}/..`)) throw new Error(`${at}: argument ${a} names a file the connector did not upload`);
      return m;
    })];
  }
  const mapped = args.map((a) => {
    if (a === req.program.entry) return `${run.dir.path}/${ENTRY}`;
    if (a.startsWith(`${local}/`)) return `${run.dir.path}/${a.slice(local.length + 1)}`;
    if (a.startsWith('/')) throw new Error(`${at}: argument ${a} names a file the connector did not upload`);
    return a;
  });
  return [run.options.nodePath, ...mapped];
}

async function launch(req: LaunchRequest): Promise<LaunchedWorker> {
  if (req.ipc) throw new Error(`worker ${req.slot} (deployment "${req.deployment}"): the ssh connector starts attested (or encrypted) workers only; plain runs use local deployments`);
  const run = await pickHost(req);
  const at = `worker ${req.slot} (deployment "${req.deployment}": host ${run.host.label})`;
  // The master's copy of the worker's directory: what the platform measures, and (sim) where its evidence socket is served.
  // A short path (0700): a Unix socket's path is limited to about 100 bytes.
  const local = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-w-'));
  const slotDir = `${run.dir.path}/${randomBytes(6).toString('hex')}`;
  let evidence: Forward | undefined;
  const cleanup = async () => {
    await evidence?.cancel().catch(() => undefined);
    await run.host.run(shScript('rm -rf -- "$1"', [slotDir])).catch(() => undefined);
    fs.rmSync(local, { recursive: true, force: true });
  };
  try {
    for (const [name, file] of Object.entries(req.program.files)) fs.symlinkSync(file, path.join(local, name));
    const cmd = req.platform.launch({ program: req.program.entry, args: req.program.args(local), env: req.env, workDir: local });
    // What the platform measured on the master is what the host holds.
    const check: [string, string][] = [[ENTRY, req.program.entry], ...Object.entries(req.program.files)];
    for (const [name, file] of check) {
      if (run.uploaded.get(name) !== sha256(file)) throw new Error(`${at}: ${name} on the host differs from the master's copy the platform measured; the run stops`);
    }
    const argv = remoteArgv(req, local, run, cmd.command, cmd.args, slotDir, cmd.hostPaths);
    await run.host.runChecked(shScript('umask 077; mkdir -m 700 -- "$1"', [slotDir]), 'making a worker directory');
    if (cmd.command !== process.execPath) {
      // The platform's launcher finds the checked uploads (signed manifest, provisioner, …) in its working directory.
      const names = Object.keys(req.program.files);
      await run.host.runChecked(shScript('d="$1"; s="$2"; shift 2; for f in "$@"; do ln -s -- "$d/$f" "$s/$f" || exit 1; done', [run.dir.path, slotDir, ...names]), 'linking the uploaded files into the worker directory');
    }
    const launchFile = Object.keys(req.program.files).find((n) => n.endsWith('.json'));
    if (req.platform.evidence === 'sim' && launchFile !== undefined) {
      const config = parseLaunchConfig(fs.readFileSync(path.join(local, launchFile), 'utf8'));
      if (config.evidence.kind === 'sim') {
        evidence = await run.host.forwardRemoteToLocal({ socket: `${slotDir}/${config.evidence.socket}` }, { socket: path.resolve(local, config.evidence.socket) });
      }
    }
    // The host's own HOME, not the master's.
    const env = Object.fromEntries(Object.entries(cmd.env).filter(([k]) => k !== 'HOME'));
    // §15.8: with transfers: direct the data port listens on the host's network, not on the loopback the tunnel
    // to the master arrives on; the master names the address it connected to as the port's host.
    const direct = req.options['transfers'] === 'direct';
    if (direct) env['SEALFLOW_DATA_LISTEN'] = net.isIPv6(run.address) ? '::' : '0.0.0.0';
    const p = run.host.spawn(argv, { env, cwd: slotDir });
    // Only the provisioner's and the executor's own diagnostics come out in clear (a task's output is sealed).
    p.stdout.on('data', (b: Buffer) => process.stderr.write(b));
    p.stderr.on('data', (b: Buffer) => process.stderr.write(b));
    const exited: Promise<WorkerExit> = p.exited.then(async (x) => {
      await cleanup();
      if (x.sessionLost) process.stderr.write(`sealflow: ${at}: the SSH session ended before the worker did (connection lost or host gone)\n`);
      return { code: x.code, signal: x.signal };
    });
    const pgid = await Promise.race([p.pgid, exited.then((x) => Promise.reject(new Error(`${at}: the worker ended before it started (code ${x.code}, signal ${x.signal})`)))]);
    return {
      host: run.host.label,
      pid: pgid,
      stage: run.stage,
      ...(direct ? { dataHost: run.address } : {}),
      exited,
      kill: () => void p.kill(),
      reap: (groups) => {
        const gs = groups.filter((g) => Number.isInteger(g) && g > 1);
        if (gs.length > 0) void run.host.run(`kill -KILL ${gs.map((g) => `-${g}`).join(' ')} 2>/dev/null; true`).catch(() => undefined);
      },
      wipe: (dirs) => {
        // The session names `<run scratch>/<pid>`; this host's workers were assigned `<run scratch>/<scratchId>/…` (stager.ts).
        const ds = dirs.filter((d) => d.startsWith('/') && !d.split('/').includes('..')).map((d) => hostScratchDir(d, run.scratchId));
        if (ds.length > 0) void run.host.run(shScript('rm -rf -- "$@"', ds)).catch(() => undefined);
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** Ends run `runId` on every host: forwards, the run directory (removed), the connection. */
async function close(runId: string): Promise<void> {
  await runs.close(runId, async (run) => {
    for (const f of run.forwards) await f.cancel().catch(() => undefined);
    await run.dir.remove().catch(() => undefined);
    liveTokens.delete(run.dir.token);
    await run.host.close().catch(() => undefined);
  });
}

export const sshConnector: Connector = { name: 'ssh', launch, close, check: checkSshDeployment };
