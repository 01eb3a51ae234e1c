/**
 * Real SSH hosts for connector tests: `startHosts(n)` makes n network
 * namespaces, each linked to the root namespace by a veth pair with its own
 * address on a private /24, and runs its own OpenSSH server in it — as root,
 * with a temporary host key and a temporary client key, inside a private
 * mount namespace in which the directories in `hide` (the master's state,
 * SEALFLOW_HOME) are covered by an empty tmpfs. A connector that reads the
 * master's disk instead of going over the wire cannot pass.
 *
 * Needs root, `ip`, `unshare`, `sshd`, `ssh`, `ssh-keygen`. See docs/testing-hosts.md.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLinkedNamespace, destroyNamespace, hostsSkip, netnsPids, run, setLink, which } from './netns.js';
import { claimTestNetwork } from './test-network.js';
import { killAndWait, waitExit } from './processes.js';
import { alive, sleep } from './wait.js';

export { missingPrograms } from './netns.js';

/** `skip` for tests that need startHosts: false, or 'SKIPPED LOUDLY: …'. */
export function hostsMissing(): string | false {
  return hostsSkip(['ip', 'unshare', 'sshd', 'ssh', 'ssh-keygen'], 'openssh-server openssh-client iproute2 util-linux');
}

export interface HostsOptions {
  /** Directories to make invisible on every host (covered by an empty tmpfs in its mount namespace). */
  readonly hide?: readonly string[];
  /** Port sshd listens on inside each namespace (default 22). */
  readonly port?: number;
  /** Readiness bound in ms (default 20 000). */
  readonly readyMs?: number;
  /**
   * Give each host its own home directory (default true): an empty directory
   * of the temp dir bind-mounted over root's home inside the host, so what a
   * connector leaves in `~` stays on that host, and tests can scan it for
   * leaks at `homeOnDisk`. Left shared (with a warning) if node or the temp
   * dir lives under that home.
   */
  readonly privateHome?: boolean;
}

export interface Host {
  /** The network namespace's name, also the host's hostname and the root end of its link. */
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly user: 'root';
  /** Private key accepted by this host's sshd (authorized_keys). */
  readonly identityFile: string;
  /** This host's line for a known_hosts file (`address keytype key`, or `[address]:port …`). */
  readonly knownHostsLine: string;
  /** A known_hosts file listing every host of the set. */
  readonly knownHostsFile: string;
  /** sshd's PID in the root PID namespace (it is PID 1 in the host's own PID namespace). */
  readonly pid: number;
  /** Root's home directory as the host sees it (`~` over ssh). */
  readonly home: string;
  /** Where that home is in the root namespace (for leak scans); undefined when the home is shared. */
  readonly homeOnDisk: string | undefined;
  /** `ssh` argv (argv[0] = 'ssh') running `command` on this host: batch mode, strict host key checking, no user config. */
  sshArgv(command?: readonly string[]): string[];
  /** Runs a command over ssh; resolves with stdout, rejects with stderr. */
  exec(command: string, timeoutMs?: number): Promise<string>;
  /** Cuts the host off the network (root end of its veth down) / brings it back. */
  linkDown(): void;
  linkUp(): void;
  /** Takes the host away entirely: SIGKILL to every process in it (sshd and all sessions), link down. */
  kill(): Promise<void>;
  /** Stops sshd and everything in the namespace, removes the namespace and its link. */
  stop(): Promise<void>;
}

export interface Hosts {
  readonly hosts: readonly Host[];
  /** Temp directory holding keys, configs and logs (not hidden from hosts: it must be readable by sshd). */
  readonly dir: string;
  readonly knownHostsFile: string;
  readonly identityFile: string;
  readonly subnet: string;
  readonly gateway: string;
  /** Stops every host, deletes namespaces and links, restores ip_forward, removes the temp dir. */
  stopAll(): Promise<void>;
}

const SSHD_CONFIG = (dir: string, authorizedKeys: string, port: number, addr: string) => `# sealflow test host
Port ${port}
ListenAddress ${addr}
HostKey ${dir}/host_ed25519
PidFile ${dir}/sshd.pid
AuthorizedKeysFile ${authorizedKeys}
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AllowAgentForwarding no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
X11Forwarding no
PermitTunnel no
# The temp dir lives under /tmp (mode 1777), which StrictModes would refuse.
StrictModes no
UseDNS no
PrintMotd no
LogLevel VERBOSE
# A cut connection is noticed on the host too (4 s): its sessions, their processes and their forwarded ports go,
# so a master that reconnects once the link is back can forward the same ports again.
ClientAliveInterval 1
ClientAliveCountMax 3
MaxStartups 100:30:200
Subsystem sftp internal-sftp
`;

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function execAsync(argv: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${argv.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/** The root-namespace PID of sshd once `unshare --fork`'s child has exec'd it (bounded). */
async function sshdPid(child: ChildProcess, sshd: string, log: string): Promise<number> {
  const end = Date.now() + 10_000;
  for (;;) {
    for (const c of childrenOf(child.pid!)) {
      try {
        if (fs.readlinkSync(`/proc/${c}/exe`) === sshd) return c;
      } catch {
        /* not yet, or gone */
      }
    }
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > end) {
      throw new Error(`sshd did not start: ${fs.readFileSync(log, 'utf8').trim().split('\n').slice(-5).join(' | ')}`);
    }
    await sleep(10);
  }
}

/** Direct children of `pid`. */
function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Starts n namespace hosts with their own sshd; resolves once each accepts `ssh … true`. */
export async function startHosts(n: number, opts: HostsOptions = {}): Promise<Hosts> {
  const net = claimTestNetwork({ who: 'startHosts', kind: 'hosts', ...(opts.hide ? { hide: opts.hide } : {}) });
  const { prefix, dir, subnet, gateway, hide, namespaces: names } = net;
  const cleanupSync = net.release;
  const unhook = net.unhook;
  const port = opts.port ?? 22;
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const sshd = which('sshd');
  const home = os.userInfo().homedir;
  const under = (p: string) => p === home || p.startsWith(home + path.sep);
  let privateHome = opts.privateHome ?? true;
  if (privateHome && (under(process.execPath) || under(dir))) {
    process.stderr.write(`startHosts: ${process.execPath} or ${dir} is under ${home}: the hosts share the home directory\n`);
    privateHome = false;
  }

  const identityFile = path.join(dir, 'id_ed25519');
  const knownHostsFile = path.join(dir, 'known_hosts');

  const children = new Map<string, ChildProcess>();
  const stopped = new Set<string>();

  const hosts: Host[] = [];
  try {
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${prefix}-client`, '-f', identityFile]);
    fs.copyFileSync(`${identityFile}.pub`, path.join(dir, 'authorized_keys'));
    net.holdForward();
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      const name = `${prefix}h${i}`;
      const address = `${subnet}.${10 + i}`;
      names.push(name);
      createLinkedNamespace(name, address, gateway);
      const hdir = path.join(dir, `h${i}`);
      fs.mkdirSync(hdir);
      const homeOnDisk = privateHome ? path.join(hdir, 'home') : undefined;
      if (homeOnDisk) fs.mkdirSync(homeOnDisk, { mode: 0o700 });
      run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path.join(hdir, 'host_ed25519')]);
      const cfg = path.join(hdir, 'sshd_config');
      fs.writeFileSync(cfg, SSHD_CONFIG(hdir, path.join(dir, 'authorized_keys'), port, address));
      run(sshd, ['-t', '-f', cfg]);
      const pub = fs.readFileSync(path.join(hdir, 'host_ed25519.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
      const knownHostsLine = `${port === 22 ? address : `[${address}]:${port}`} ${pub}`;
      lines.push(knownHostsLine);

      // ip netns exec → unshare (new mount, UTS and PID namespace; it forks and waits) → sh → exec sshd,
      // which is PID 1 of the host: the host sees only its own processes (and not /proc/<master>/root),
      // and when sshd dies every process of the host dies with it.
      const script = [
        'set -e',
        `hostname ${shQuote(name)}`,
        ...hide.map((h) => `mount -t tmpfs -o size=1m,mode=0755 sf-hidden ${shQuote(h)}`),
        ...(homeOnDisk ? [`mount --bind ${shQuote(homeOnDisk)} ${shQuote(home)}`] : []),
        `exec ${shQuote(sshd)} -D -e -f ${shQuote(cfg)}`,
      ].join('\n');
      const log = fs.openSync(path.join(hdir, 'sshd.log'), 'a');
      const child = spawn(
        'ip',
        ['netns', 'exec', name, 'unshare', '--mount', '--uts', '--pid', '--fork', '--mount-proc', '--propagation', 'private', 'sh', '-c', script],
        { stdio: ['ignore', log, log] },
      );
      fs.closeSync(log);
      // A test that forgets stopAll must not hang: the exit hook cleans up.
      child.unref();
      children.set(name, child);
      const pid = await sshdPid(child, sshd, path.join(hdir, 'sshd.log'));

      const sshArgv = (command: readonly string[] = []) => [
        'ssh',
        '-F', '/dev/null',
        '-i', identityFile,
        '-o', 'IdentitiesOnly=yes',
        '-o', 'IdentityAgent=none',
        '-o', 'BatchMode=yes',
        '-o', 'StrictHostKeyChecking=yes',
        '-o', `UserKnownHostsFile=${knownHostsFile}`,
        '-o', 'GlobalKnownHostsFile=/dev/null',
        '-o', 'ForwardAgent=no',
        '-o', 'ForwardX11=no',
        '-o', 'ConnectTimeout=5',
        '-o', 'LogLevel=ERROR',
        '-p', String(port),
        `root@${address}`,
        ...command,
      ];
      const stop = async () => {
        if (stopped.has(name)) return;
        stopped.add(name);
        // sshd first: it is the host's PID 1, so every process of the host dies with it, and
        // unshare (its parent) reaps it and exits; then whatever is left in the network namespace.
        await killAndWait([pid], 'SIGTERM');
        await waitExit([child]);
        await killAndWait(netnsPids(name), 'SIGKILL');
        destroyNamespace(name);
        await waitExit([child]);
      };
      hosts.push({
        name,
        address,
        port,
        user: 'root',
        identityFile,
        knownHostsLine,
        knownHostsFile,
        pid,
        home,
        homeOnDisk,
        sshArgv,
        exec: (command, timeoutMs = 20_000) => execAsync(sshArgv(['--', command]), timeoutMs),
        linkDown: () => setLink(name, false),
        linkUp: () => setLink(name, true),
        kill: async () => {
          setLink(name, false);
          await killAndWait([pid], 'SIGKILL');
          await waitExit([child]);
          await killAndWait(netnsPids(name), 'SIGKILL');
        },
        stop,
      });
    }
    fs.writeFileSync(knownHostsFile, lines.join('\n') + '\n');

    // Readiness: each host answers `ssh … true` (bounded; polling, not a sleep).
    const readyMs = opts.readyMs ?? 20_000;
    await Promise.all(
      hosts.map(async (h) => {
        const end = Date.now() + readyMs;
        let last = '';
        for (;;) {
          const child = children.get(h.name)!;
          if (child.exitCode !== null || child.signalCode !== null || !alive(h.pid)) {
            const log = fs.readFileSync(path.join(dir, `h${hosts.indexOf(h)}`, 'sshd.log'), 'utf8');
            throw new Error(`sshd on ${h.name} (${h.address}) exited: ${log.trim().split('\n').slice(-5).join(' | ')}`);
          }
          try {
            await execAsync(h.sshArgv(['true']), 6_000);
            return;
          } catch (e) {
            last = (e as Error).message;
          }
          if (Date.now() > end) throw new Error(`sshd on ${h.name} (${h.address}) not ready after ${readyMs} ms: ${last}`);
          await sleep(50);
        }
      }),
    );
  } catch (e) {
    cleanupSync();
    unhook();
    throw e;
  }

  return {
    hosts,
    dir,
    knownHostsFile,
    identityFile,
    subnet,
    gateway,
    stopAll: async () => {
      await Promise.all(hosts.map((h) => h.stop()));
      cleanupSync();
      unhook();
    },
  };
}

/** Binds the `connector: ssh` deployment of the sealflow.yaml at `file` to namespace host `h` (its address, root, key and known_hosts). */
export function bindSshDeployment(file: string, h: Host): void {
  const yaml = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, yaml.replace('connector: ssh', `connector: ssh, host: ${h.address}, user: root, identityFile: ${h.identityFile}, knownHosts: ${h.knownHostsFile}`));
}
