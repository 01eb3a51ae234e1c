/**
 * One SSH host of an `ssh` deployment, reached with the system OpenSSH
 * client (docs/connectors/ssh.md says why): batch mode (never a password),
 * no agent or X11 forwarding, host keys checked against known_hosts, and one
 * ControlMaster connection per host in a private 0700 directory, so every
 * further command, upload, process and forward rides the one authenticated
 * connection.
 *
 * Lifecycle: `connect()` opens the control master (or fails with one line
 * naming the deployment and host); the other methods use it; `close()` ends
 * it. A master left by a crashed process ends by itself `controlPersist`
 * seconds after its last session.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { classifySshFailure, SshError, type SshTarget } from './errors.js';
import type { CompiledSshOptions } from './options.js';
import { parseFingerprints, parseNodeVersion, parseSshG, type ResolvedSsh, type SweepLine } from './parse.js';
import { collect, oneLine, type SshResult } from './exec.js';
import { forwardRemoteToLocal, type Forward, type LocalEnd, type RemoteEnd } from './forward.js';
import { shCommand, shScript } from './quote.js';
import { makeRunDir, sweepDead, type RunDir, type SweepOptions } from './run-dir.js';
import { spawnRemote, type RemoteProcess, type RemoteSpawnOptions } from './spawn.js';

/** What the transport runs on a host besides node (a POSIX sh is assumed). */
export const REMOTE_TOOLS = ['env', 'cat', 'sha256sum', 'wc', 'mv', 'chmod', 'rm', 'mkdir', 'date', 'flock', 'kill'] as const;

/** The oldest Node.js major the worker side supports on a host. */
export const MIN_NODE_MAJOR = 20;

export type { SshResult };

export interface ConnectResult {
  readonly hostname: string;
  readonly port: number;
  readonly user: string;
  /** Set only when `acceptNewHostKey` added this host to known_hosts on this connection: journal it. */
  readonly acceptedHostKey?: { readonly host: string; readonly fingerprints: readonly string[]; readonly knownHosts: string };
}

export interface NodeCheck {
  /** As the host printed it, e.g. `v20.11.1`. */
  readonly version: string;
  readonly major: number;
}

const expandHome = (p: string) => (p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p);

/**
 * A Unix socket's path holds at most 107 bytes; ssh names the control socket
 * `<dir>/<%C: 40 hex>` and first creates it with a 17-byte random suffix.
 */
const SOCKET_PATH_MAX = 107;
const CONTROL_NAME = 1 + 40 + 17;

/** Where this process's control directories go: TMPDIR, or /tmp when TMPDIR is too long for a socket path. */
export function controlBase(tmp = os.tmpdir(), fallback = '/tmp'): string {
  const dirName = `/sf-ssh-${process.pid}-XXXXXX`.length;
  for (const base of [tmp, fallback]) if (Buffer.byteLength(base) + dirName + CONTROL_NAME <= SOCKET_PATH_MAX) return base;
  throw new Error(`ssh control sockets cannot be made: TMPDIR (${tmp}) is too long for a socket path and so is ${fallback}; set TMPDIR to a short directory`);
}

export class SshHost {
  private readonly controlDir: string;
  private resolved: ResolvedSsh | undefined;
  private connected = false;

  constructor(readonly options: CompiledSshOptions) {
    sweepControlDirs();
    // mkdtemp makes the directory 0700: nobody else can reach the control socket.
    this.controlDir = fs.mkdtempSync(path.join(controlBase(), `sf-ssh-${process.pid}-`));
  }

  /** `alias (address:port)` or `address:port`, for messages. */
  get label(): string {
    const r = this.resolved;
    if (!r) return this.options.port ? `${this.options.host}:${this.options.port}` : this.options.host;
    const addr = `${r.hostname}:${r.port}`;
    return r.hostname === this.options.host ? addr : `${this.options.host} (${addr})`;
  }

  get deployment(): string {
    return this.options.deployment;
  }

  private target(): SshTarget {
    return {
      deployment: this.options.deployment,
      host: this.label,
      user: this.resolved?.user ?? this.options.user ?? os.userInfo().username,
      knownHosts: this.knownHostsFile() ?? 'known_hosts',
      connectTimeout: this.options.connectTimeout,
    };
  }

  private knownHostsFile(): string | undefined {
    if (this.options.knownHosts) return this.options.knownHosts;
    const f = this.resolved?.userKnownHostsFiles[0];
    return f ? expandHome(f) : undefined;
  }

  /** Options every ssh invocation of this host carries (without the destination). */
  private common(): string[] {
    const o = this.options;
    return [
      ...(o.configFile ? ['-F', o.configFile] : []),
      '-a', '-x', '-T', '-e', 'none',
      '-o', 'BatchMode=yes',
      '-o', 'ForwardAgent=no',
      '-o', 'ForwardX11=no',
      '-o', 'PermitLocalCommand=no',
      '-o', 'UpdateHostKeys=no',
      '-o', `StrictHostKeyChecking=${o.acceptNewHostKey ? 'accept-new' : 'yes'}`,
      ...(o.knownHosts ? ['-o', `UserKnownHostsFile=${o.knownHosts}`] : []),
      '-o', `ControlPath=${this.controlDir}/%C`,
      '-o', `ConnectTimeout=${o.connectTimeout}`,
      '-o', 'LogLevel=ERROR',
      ...(o.port ? ['-p', String(o.port)] : []),
      ...(o.user ? ['-l', o.user] : []),
      ...(o.identityFile ? ['-i', o.identityFile, '-o', 'IdentitiesOnly=yes'] : []),
    ];
  }

  /** argv of an ssh client running `remoteCommand` over the control master (never becoming one). */
  clientArgv(remoteCommand: string | undefined, extra: readonly string[] = []): string[] {
    return [...this.common(), '-o', 'ControlMaster=no', ...extra, '--', this.options.host, ...(remoteCommand === undefined ? [] : [remoteCommand])];
  }

  /** Starts an ssh client (the caller owns it). */
  spawnClient(remoteCommand: string | undefined, extra: readonly string[] = [], stdio: StdioOptions = ['pipe', 'pipe', 'pipe']): ChildProcess {
    return spawn('ssh', this.clientArgv(remoteCommand, extra), { stdio });
  }

  private async exec(args: readonly string[], input?: Buffer): Promise<SshResult> {
    const child = spawn('ssh', args, { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    return collect(child, input);
  }

  /** Runs a remote command line (already quoted, see quote.ts) over the control master. */
  async run(remoteCommand: string, input?: Buffer): Promise<SshResult> {
    const r = await this.exec(this.clientArgv(remoteCommand), input);
    if (r.code === 255) throw classifySshFailure(this.target(), r.stderr);
    return r;
  }

  /** Runs a remote command; its stdout, or an SshError('remote') saying what failed. */
  async runChecked(remoteCommand: string, what: string, input?: Buffer): Promise<Buffer> {
    const r = await this.run(remoteCommand, input);
    if (r.code !== 0) throw this.remoteError(`${what} failed (exit ${r.code ?? r.signal}): ${oneLine(r.stderr)}`);
    return r.stdout;
  }

  remoteError(message: string): SshError {
    return new SshError('remote', this.options.deployment, this.label, `deployment "${this.options.deployment}": host ${this.label}: ${message}`);
  }

  /** The settings ssh resolves for this host (`ssh -G`: aliases of ~/.ssh/config, port, user). */
  async resolve(): Promise<ResolvedSsh> {
    if (this.resolved) return this.resolved;
    const r = await this.exec([...this.common(), '-G', '--', this.options.host]);
    const parsed = r.code === 0 ? parseSshG(r.stdout.toString('utf8')) : null;
    if (!parsed) throw new SshError('ssh', this.options.deployment, this.label, `deployment "${this.options.deployment}": ssh cannot resolve host ${this.options.host}: ${oneLine(r.stderr) || 'unexpected ssh -G output'}; check the host and your ssh config`);
    this.resolved = parsed;
    return parsed;
  }

  /** Opens the control master: authenticates, checks the host key. Throws an SshError (one line) otherwise. */
  async connect(): Promise<ConnectResult> {
    const r = await this.resolve();
    // A master that died (killed, connection lost) leaves its socket behind, which would stop a new one from listening.
    if (this.connected && (await this.masterPid()) === null) this.connected = false;
    if (!this.connected) for (const f of fs.readdirSync(this.controlDir)) fs.rmSync(path.join(this.controlDir, f), { force: true });
    const name = r.hostKeyAlias ?? (r.port === 22 ? r.hostname : `[${r.hostname}]:${r.port}`);
    const kh = this.knownHostsFile();
    const before = this.options.acceptNewHostKey && kh ? await fingerprints(name, kh) : [];
    if (this.connected) return { hostname: r.hostname, port: r.port, user: r.user };
    const master = await this.exec([
      ...this.common(),
      '-o', 'ControlMaster=yes',
      '-o', `ControlPersist=${this.options.controlPersist}`,
      '-o', `ServerAliveInterval=${this.options.aliveInterval}`,
      '-o', `ServerAliveCountMax=${this.options.aliveCountMax}`,
      '-o', 'ExitOnForwardFailure=yes',
      '-o', 'ClearAllForwardings=yes',
      '-N', '--', this.options.host,
    ]);
    if (master.code !== 0) throw classifySshFailure(this.target(), master.stderr);
    this.connected = true;
    const result = { hostname: r.hostname, port: r.port, user: r.user };
    if (this.options.acceptNewHostKey && kh && before.length === 0) {
      const after = await fingerprints(name, kh);
      if (after.length > 0) return { ...result, acceptedHostKey: { host: name, fingerprints: after, knownHosts: kh } };
    }
    return result;
  }

  /** The control master's local PID (`ssh -O check`), or null when none runs. */
  async masterPid(): Promise<number | null> {
    const r = await this.exec([...this.common(), '-O', 'check', '--', this.options.host]);
    const m = /pid=(\d+)/.exec(r.stderr);
    return r.code === 0 && m ? Number(m[1]) : null;
  }

  /** Asks the control master to add or cancel a forward (`ssh -O forward|cancel <spec…>`); its stdout. */
  async control(op: 'forward' | 'cancel', spec: readonly string[]): Promise<string> {
    const r = await this.exec([...this.common(), '-O', op, ...spec, '--', this.options.host]);
    if (r.code !== 0) throw this.remoteError(`${op === 'forward' ? 'setting up' : 'cancelling'} the forward ${spec.join(' ')} failed: ${oneLine(r.stderr)}`);
    return r.stdout.toString('utf8');
  }

  /** Checks the remote `node` (the deployment's `nodePath`): present, and at least Node.js 20. */
  async checkNode(): Promise<NodeCheck> {
    const r = await this.run(shCommand([this.options.nodePath, '--version']));
    const at = `deployment "${this.options.deployment}": host ${this.label}`;
    const fail = (msg: string) => new SshError('node', this.options.deployment, this.label, `${at}: ${msg}`);
    if (r.code === 127 || r.code === 126) {
      throw fail(`has no runnable node at ${JSON.stringify(this.options.nodePath)} (${oneLine(r.stderr) || `exit ${r.code}`}): install Node.js ${MIN_NODE_MAJOR} or later there, or set nodePath to its absolute path`);
    }
    const text = r.stdout.toString('utf8').trim();
    const v = r.code === 0 ? parseNodeVersion(text) : null;
    if (!v) throw fail(`${JSON.stringify(this.options.nodePath)} --version answered ${JSON.stringify(text.slice(0, 60))} (exit ${r.code ?? r.signal}), not a Node.js version: set nodePath to a Node.js ${MIN_NODE_MAJOR} or later`);
    if (v[0] < MIN_NODE_MAJOR) {
      throw fail(`runs Node.js ${text}, but sealflow workers need Node.js ${MIN_NODE_MAJOR} or later: install a newer Node.js there, or set nodePath to one`);
    }
    return { version: text, major: v[0] };
  }

  /**
   * Checks that the host has the POSIX tools the transport runs there
   * (`REMOTE_TOOLS`, plus `extra`); one error naming every missing one.
   */
  async checkTools(extra: readonly string[] = []): Promise<void> {
    const tools = [...REMOTE_TOOLS, ...extra];
    const out = await this.runChecked(shScript('for t in "$@"; do command -v "$t" >/dev/null 2>&1 || echo "$t"; done', tools), 'looking for tools');
    const missing = out.toString('utf8').split('\n').filter((t) => tools.includes(t));
    if (missing.length > 0) {
      throw this.remoteError(`lacks ${missing.join(', ')} (needed: ${tools.join(', ')}): install them there (coreutils, util-linux, procps)`);
    }
  }

  /** A fresh run directory with an opaque name under `baseDir`, marked and locked (run-dir.ts). */
  makeRunDir(token?: string): Promise<RunDir> {
    return makeRunDir(this, token);
  }

  /** Removes a run directory of this host and releases its lock. */
  removeRunDir(dir: RunDir): Promise<void> {
    return dir.remove();
  }

  /** Removes run directories of dead runs under `baseDir` (run-dir.ts says which are safe to remove). */
  sweepDead(o: SweepOptions): Promise<SweepLine[]> {
    return sweepDead(this, o);
  }

  /** Starts a remote process in its own process group, with exactly `env` (spawn.ts). */
  spawn(argv: readonly string[], o: RemoteSpawnOptions = {}): RemoteProcess {
    return spawnRemote(this, argv, o);
  }

  /** A socket or loopback port on the host whose connections reach `local` on the master's side (forward.ts). */
  forwardRemoteToLocal(remote: RemoteEnd, local: LocalEnd): Promise<Forward> {
    return forwardRemoteToLocal(this, remote, local);
  }

  /** Ends the control master (and with it every session and forward over it) and removes the control directory. */
  async close(): Promise<void> {
    if (this.connected) await this.exec([...this.common(), '-O', 'exit', '--', this.options.host]);
    this.connected = false;
    fs.rmSync(this.controlDir, { recursive: true, force: true });
  }
}

/**
 * Removes control directories of master processes that died without close()
 * (named `sf-ssh-<pid>-…`; their control masters end by themselves after
 * `controlPersist` seconds without a session).
 */
function sweepControlDirs(): void {
  let names: string[];
  let base: string;
  try {
    base = controlBase();
    names = fs.readdirSync(base);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^sf-ssh-(\d+)-[A-Za-z0-9]{6}$/.exec(n);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') fs.rmSync(path.join(base, n), { recursive: true, force: true });
    }
  }
}

/** Fingerprints of the known_hosts lines for `name` (none when the file or the host is absent). */
async function fingerprints(name: string, file: string): Promise<string[]> {
  if (!fs.existsSync(file)) return [];
  const r = await collect(spawn('ssh-keygen', ['-l', '-F', name, '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] }));
  return r.code === 0 ? parseFingerprints(r.stdout.toString('utf8')) : [];
}
