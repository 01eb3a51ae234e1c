/**
 * A real Slurm cluster for connector tests: `startSlurm()` runs `munged` on a
 * private socket, `slurmctld` in its own network namespace and two `slurmd`
 * nodes (`n1`, `n2`), each in its own network and UTS namespace (hostname =
 * node name) linked to the root namespace by a veth pair on a private /24.
 * Every daemon runs in the foreground, is started and stopped by PID, and
 * keeps its state, spool, PID and log files in one temp directory. Client
 * commands (`sbatch`, `squeue`, `scancel`, `sinfo`) find the cluster through
 * the returned `env` (SLURM_CONF).
 *
 * Needs root, `ip`, `unshare`, `slurmctld`, `slurmd`, `munged` (Debian
 * `slurm-wlm` 22.05, `munge`). See docs/testing-hosts.md.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLinkedNamespace, hostsSkip, netnsPids, setLink, which } from './netns.js';
import { claimTestNetwork } from './test-network.js';
import { killAndWait, waitExit } from './processes.js';
import { alive, sleep } from './wait.js';

export { missingPrograms } from './netns.js';

/** `skip` for tests that need startSlurm: false, or 'SKIPPED LOUDLY: …'. */
export function slurmMissing(): string | false {
  return hostsSkip(['ip', 'unshare', 'slurmctld', 'slurmd', 'munged', 'sbatch', 'squeue', 'scancel', 'sinfo'], 'slurm-wlm munge iproute2 util-linux');
}

export interface SlurmOptions {
  /** Number of slurmd nodes (default 2). */
  readonly nodes?: number;
  /** CPUs each node declares (default: this machine's count). */
  readonly cpus?: number;
  /**
   * Directories to make invisible on the nodes (covered by an empty tmpfs in
   * each slurmd's private mount namespace, which its jobs inherit): the
   * master's state directory.
   */
  readonly hide?: readonly string[];
  /** Readiness bound in ms: every node idle in sinfo (default 30 000). */
  readonly readyMs?: number;
}

export interface SlurmNode {
  /** Slurm node name, also its hostname inside its UTS namespace. */
  readonly name: string;
  /** The network namespace (and root end of its link). */
  readonly netns: string;
  readonly address: string;
  /** slurmd's PID. */
  readonly pid: number;
  /** Cuts the node off the network / brings it back. */
  linkDown(): void;
  linkUp(): void;
  /** Takes the node away: SIGKILL to slurmd, its slurmstepd and every job process in it; link down. */
  kill(): Promise<void>;
}

export interface SlurmCluster {
  /** Environment for client commands: process.env plus SLURM_CONF. */
  readonly env: NodeJS.ProcessEnv;
  readonly conf: string;
  readonly partition: string;
  readonly nodes: readonly SlurmNode[];
  readonly controller: { readonly netns: string; readonly address: string; readonly pid: number };
  /** The root namespace's address as the nodes see it (where a master listening in the root namespace is reached). */
  readonly gateway: string;
  /** State, spool, logs (StateSaveLocation is `${dir}/state`). */
  readonly dir: string;
  /** StateSaveLocation: Slurm keeps each job's script and environment here (scan it for canaries). */
  readonly stateDir: string;
  /** SlurmdSpoolDir of each node is `${spoolDir}/<node name>`. */
  readonly spoolDir: string;
  readonly mungePid: number;
  /** Every PID of the cluster right now: daemons, slurmstepd, job processes. */
  pids(): number[];
  /** Runs a Slurm client command with `env`; resolves with stdout. */
  cmd(program: string, args: readonly string[], timeoutMs?: number): Promise<string>;
  /** Stops every daemon and job, removes namespaces and links, restores ip_forward, removes the temp dir. */
  stop(): Promise<void>;
}

function slurmConf(o: {
  cluster: string;
  ctldName: string;
  ctldAddr: string;
  dir: string;
  socket: string;
  nodes: readonly { name: string; address: string }[];
  cpus: number;
  memMb: number;
  partition: string;
}): string {
  const d = o.dir;
  return `# sealflow test cluster (test/helpers/slurm-cluster.ts)
ClusterName=${o.cluster}
SlurmctldHost=${o.ctldName}(${o.ctldAddr})
SlurmctldPort=6817
SlurmdPort=6818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=${o.socket}
CredType=cred/munge
StateSaveLocation=${d}/state
SlurmdSpoolDir=${d}/spool/%n
SlurmctldPidFile=${d}/run/slurmctld.pid
SlurmdPidFile=${d}/run/slurmd-%n.pid
SlurmctldLogFile=${d}/log/slurmctld.log
SlurmdLogFile=${d}/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups: the nodes' /sys is their network namespace's.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=2
MinJobAge=300
MailProg=/bin/true
${o.nodes.map((n) => `NodeName=${n.name} NodeAddr=${n.address} NodeHostname=${n.name} CPUs=${o.cpus} RealMemory=${o.memMb} State=UNKNOWN`).join('\n')}
PartitionName=${o.partition} Nodes=${o.nodes.map((n) => n.name).join(',')} Default=YES MaxTime=INFINITE State=UP
`;
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function spawnLogged(argv: readonly string[], log: string): ChildProcess {
  const fd = fs.openSync(log, 'a');
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  // A test that forgets stop() must not hang: the exit hook cleans up.
  child.unref();
  return child;
}

function tail(file: string, n = 8): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-n).join(' | ');
  } catch {
    return '(no log)';
  }
}

/** Starts munged, slurmctld and the slurmd nodes; resolves once every node is idle. */
export async function startSlurm(opts: SlurmOptions = {}): Promise<SlurmCluster> {
  const children: ChildProcess[] = [];
  const net = claimTestNetwork({
    who: 'startSlurm',
    kind: 'slurm',
    ...(opts.hide ? { hide: opts.hide } : {}),
    onRelease: () => {
      for (const c of children) {
        try {
          if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
        } catch {
          /* gone */
        }
      }
    },
  });
  const { prefix, dir, subnet, gateway, hide, namespaces } = net;
  const cleanupSync = net.release;
  const unhook = net.unhook;
  const nodeCount = opts.nodes ?? 2;
  const ctldNetns = `${prefix}c`;
  const nodeNames = Array.from({ length: nodeCount }, (_, i) => `n${i + 1}`);
  namespaces.push(ctldNetns, ...nodeNames.map((n) => `${prefix}${n}`));
  let mungePid = 0;

  for (const sub of ['state', 'spool', 'run', 'log', 'munge', 'jobs']) fs.mkdirSync(path.join(dir, sub));
  const nodes = nodeNames.map((name, i) => ({ name, netns: `${prefix}${name}`, address: `${subnet}.${11 + i}` }));
  // %n directories must exist before slurmd starts.
  for (const n of nodes) fs.mkdirSync(path.join(dir, 'spool', n.name));
  const ctld = { netns: ctldNetns, name: ctldNetns, address: `${subnet}.5` };
  const partition = 'sf';
  const conf = path.join(dir, 'slurm.conf');
  const socket = path.join(dir, 'munge', 'munge.sock');
  // RealMemory above what slurmd finds would drain the nodes; half the machine's is safe for both.
  const memMb = Math.max(64, Math.floor((os.totalmem() / 1024 / 1024) * 0.5));
  fs.writeFileSync(
    conf,
    slurmConf({ cluster: prefix.replace(/-/g, '_'), ctldName: ctld.name, ctldAddr: ctld.address, dir, socket, nodes, cpus: opts.cpus ?? os.cpus().length, memMb, partition }),
  );
  // Without this, slurmd 22.05 exits: "No filesystem mounted on /sys/fs/cgroup" (ip netns exec remounts /sys).
  fs.writeFileSync(path.join(dir, 'cgroup.conf'), 'CgroupPlugin=cgroup/v1\n');
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: conf };
  const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

  const cmd = (program: string, args: readonly string[], timeoutMs = 20_000) =>
    new Promise<string>((resolve, reject) => {
      execFile(program, args, { env, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${program} ${args.join(' ')}: ${stderr.trim() || err.message}`));
        else resolve(stdout);
      });
    });

  let controllerPid = 0;
  const nodeHandles: SlurmNode[] = [];
  try {
    net.holdForward();

    // munged: private key and socket; the Unix socket is reachable from every network namespace.
    const key = path.join(dir, 'munge', 'munge.key');
    fs.writeFileSync(key, crypto.randomBytes(1024), { mode: 0o400 });
    fs.chmodSync(path.join(dir, 'munge'), 0o700);
    const munged = spawnLogged(
      [which('munged'), '--foreground', '--force', `--socket=${socket}`, `--key-file=${key}`, `--pid-file=${dir}/munge/munged.pid`, `--log-file=${dir}/log/munged.log`, `--seed-file=${dir}/munge/seed`],
      path.join(dir, 'log', 'munged.out'),
    );
    children.push(munged);
    mungePid = munged.pid!;
    await waitFor('munged socket', 10_000, () => fs.existsSync(socket), () => (exited(munged) ? `munged exited: ${tail(path.join(dir, 'log', 'munged.log'))} ${tail(path.join(dir, 'log', 'munged.out'))}` : ''));

    // slurmctld in its own network + UTS namespace: its hostname is the SlurmctldHost name,
    // and concurrent clusters do not fight over port 6817.
    createLinkedNamespace(ctld.netns, ctld.address, gateway);
    const ctldChild = spawnLogged(
      ['ip', 'netns', 'exec', ctld.netns, 'unshare', '--uts', 'sh', '-c', `hostname ${shQuote(ctld.name)} && exec ${shQuote(which('slurmctld'))} -D -i -f ${shQuote(conf)}`],
      path.join(dir, 'log', 'slurmctld.out'),
    );
    children.push(ctldChild);
    controllerPid = ctldChild.pid!;

    const slurmd = which('slurmd');
    for (const n of nodes) {
      createLinkedNamespace(n.netns, n.address, gateway);
      const child = spawnLogged(
        [
          'ip', 'netns', 'exec', n.netns, 'unshare', '--uts', '--mount', '--propagation', 'private', 'sh', '-c',
          [
            'set -e',
            `hostname ${shQuote(n.name)}`,
            ...hide.map((h) => `mount -t tmpfs -o size=1m,mode=0755 sf-hidden ${shQuote(h)}`),
            `exec ${shQuote(slurmd)} -D -N ${shQuote(n.name)} -f ${shQuote(conf)}`,
          ].join('\n'),
        ],
        path.join(dir, 'log', `slurmd-${n.name}.out`),
      );
      children.push(child);
      const pid = child.pid!;
      nodeHandles.push({
        name: n.name,
        netns: n.netns,
        address: n.address,
        pid,
        linkDown: () => setLink(n.netns, false),
        linkUp: () => setLink(n.netns, true),
        kill: async () => {
          setLink(n.netns, false);
          await killAndWait(netnsPids(n.netns), 'SIGKILL');
        },
      });
    }

    // Readiness: every node idle in sinfo (bounded; polling).
    const readyMs = opts.readyMs ?? 30_000;
    let last = '';
    await waitFor(
      'every slurmd node idle',
      readyMs,
      async () => {
        try {
          last = await cmd('sinfo', ['-h', '-N', '-p', partition, '-o', '%N %T'], 5_000);
        } catch (e) {
          last = (e as Error).message;
          return false;
        }
        const states = new Map(last.trim().split('\n').map((l) => l.trim().split(/\s+/) as [string, string]));
        return nodes.every((n) => states.get(n.name) === 'idle');
      },
      () => {
        if (exited(ctldChild)) return `slurmctld exited: ${tail(path.join(dir, 'log', 'slurmctld.log'))} ${tail(path.join(dir, 'log', 'slurmctld.out'))}`;
        if (exited(munged)) return `munged exited: ${tail(path.join(dir, 'log', 'munged.log'))}`;
        const i = children.slice(2).findIndex(exited);
        if (i >= 0) return `slurmd ${nodes[i]!.name} exited: ${tail(path.join(dir, 'log', `slurmd-${nodes[i]!.name}.log`))} ${tail(path.join(dir, 'log', `slurmd-${nodes[i]!.name}.out`))}`;
        return '';
      },
      () => `sinfo: ${last.trim()}; slurmctld: ${tail(path.join(dir, 'log', 'slurmctld.log'), 4)}`,
    );
  } catch (e) {
    cleanupSync();
    unhook();
    throw e;
  }

  let stopped = false;
  return {
    env,
    conf,
    partition,
    nodes: nodeHandles,
    controller: { netns: ctld.netns, address: ctld.address, pid: controllerPid },
    gateway,
    dir,
    stateDir: path.join(dir, 'state'),
    spoolDir: path.join(dir, 'spool'),
    mungePid,
    pids: () => [...new Set([mungePid, controllerPid, ...namespaces.flatMap(netnsPids)])].filter(alive),
    cmd,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      // Daemons first (SIGTERM, by PID), then whatever is left in the namespaces (slurmstepd, jobs), then munged.
      await killAndWait([...nodeHandles.map((n) => n.pid), controllerPid], 'SIGTERM');
      await killAndWait(namespaces.flatMap(netnsPids), 'SIGKILL');
      await killAndWait([mungePid], 'SIGTERM');
      cleanupSync();
      // Reap our own children, so that no zombie of theirs remains either.
      await waitExit(children);
      unhook();
    },
  };
}

/**
 * Polls `pred` until it holds (bounded by `ms`); `fatal` returns a reason to
 * stop early (a daemon died), `detail` what to say on timeout.
 */
async function waitFor(
  what: string,
  ms: number,
  pred: () => boolean | Promise<boolean>,
  fatal: () => string = () => '',
  detail: () => string = () => '',
): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await pred()) return;
    const f = fatal();
    if (f) throw new Error(`startSlurm: ${f}`);
    if (Date.now() > end) throw new Error(`startSlurm: ${what}: not after ${ms} ms. ${detail()}`);
    await sleep(100);
  }
}
