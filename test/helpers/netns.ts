/**
 * Network namespaces for tests that need real remote "hosts" (test/helpers/hosts.ts,
 * test/helpers/slurm-cluster.ts): what they need to run, names and private
 * subnets that do not collide between concurrent test processes, veth links
 * routed through the root namespace, the shared `ip_forward` switch (reference
 * counted across processes, restored by the last one), and cleanup — on stop,
 * on process exit, and a sweep of what dead test processes left behind.
 *
 * Everything here needs root. Synchronous on purpose: cleanup must also work
 * from a process 'exit' handler.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { alive } from './wait.js';

/** Names in `names` that are not found as executables on PATH (or in the sbin directories). */
export function missingPrograms(names: readonly string[]): string[] {
  const dirs = [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'].filter(Boolean);
  return names.filter(
    (n) =>
      !dirs.some((d) => {
        try {
          fs.accessSync(path.join(d, n), fs.constants.X_OK);
          return true;
        } catch {
          return false;
        }
      }),
  );
}

/** Absolute path of an executable (sshd and slurmd must be started by absolute path). */
export function which(name: string): string {
  for (const d of [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin']) {
    if (!d) continue;
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  throw new Error(`${name} not found on PATH`);
}

let netnsProbe: string | false | undefined;

/**
 * Why namespace hosts cannot run here (`false` when they can): not root, or
 * `ip netns` not permitted (e.g. an unprivileged container).
 */
export function netnsUnavailable(): string | false {
  if (netnsProbe !== undefined) return netnsProbe;
  if (process.getuid?.() !== 0) return (netnsProbe = 'needs root (network namespaces, veth, sshd/slurmd as root)');
  const probe = `sf${process.pid}-probe`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return (netnsProbe = `'ip netns add' is not permitted here: ${(r.stderr || r.error?.message || '').trim()}`);
  spawnSync('ip', ['netns', 'del', probe]);
  return (netnsProbe = false);
}

/**
 * The `skip` option for a test that needs these programs and namespaces:
 * `false` (run) or a loud reason naming what to install, also printed to
 * stderr. Under `SEALFLOW_REQUIRE_ALL=1` (CI) it also registers a failing
 * test with that reason, as test/helpers/needs.ts does for packages.
 */
export function hostsSkip(programs: readonly string[], install: string): string | false {
  const missing = missingPrograms(programs);
  const why = missing.length
    ? `SKIPPED LOUDLY: ${missing.join(', ')} not installed (apt-get install -y ${install})`
    : netnsUnavailable() && `SKIPPED LOUDLY: ${netnsUnavailable() as string}`;
  if (!why) return false;
  process.stderr.write(`\n*** ${why} ***\n\n`);
  if (process.env['SEALFLOW_REQUIRE_ALL'] === '1') {
    test('SEALFLOW_REQUIRE_ALL=1 requires namespace hosts', () => {
      throw new Error(`${why.replace('SKIPPED LOUDLY: ', '')} — or unset SEALFLOW_REQUIRE_ALL to let these tests skip`);
    });
  }
  return why;
}

// ---------------------------------------------------------------- commands

/** Runs a command synchronously; throws with its stderr when it fails. */
export function run(cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(err.stderr ?? err.message).trim()}`);
  }
}

/** Like `run`, ignoring failure (cleanup paths). */
export function tryRun(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return r.status === 0 ? r.stdout : '';
}

// ---------------------------------------------------------------- names and subnets

/** Every object these helpers create is named `sf<pid>-…`, so a sweep can tell whose it was. */
const NAME = /^sf(\d+)-/;
let instances = 0;

/** A fresh name prefix for one set of hosts in this process: `sf<pid>-<k>`. */
export function newPrefix(): string {
  return `sf${process.pid}-${instances++}`;
}

/** The first three octets of every IPv4 address already configured in the root namespace. */
function takenSubnets(): Set<string> {
  const out = new Set<string>();
  for (const m of tryRun('ip', ['-o', '-4', 'addr', 'show']).matchAll(/inet (\d+\.\d+\.\d+)\.\d+/g)) out.add(m[1]!);
  for (const m of tryRun('ip', ['-4', 'route', 'show']).matchAll(/^(?:unreachable |blackhole |prohibit )?(\d+\.\d+\.\d+)\.\d+/gm)) out.add(m[1]!);
  return out;
}

const SUBNET_DIR = '/run/sealflow-tests/subnets';

/**
 * Claims a private /24 (`10.a.b`) for the set of hosts named `prefix`,
 * derived from the pid and the instance number so concurrent test files start
 * from different ones, skipping any already in use. The claim is an
 * `unreachable 10.a.b.0/24` route in the root namespace below the hosts' own
 * /32 routes: a host whose link is down is then unreachable at once — without
 * it, its traffic would follow the default route out of the machine (where,
 * on this VM type, something accepts any TCP connection). The route is also
 * what marks the subnet as taken for other processes. `releaseSubnet` undoes it.
 */
export function claimSubnet(prefix: string): string {
  fs.mkdirSync(SUBNET_DIR, { recursive: true });
  let n = ((process.pid % 16384) * 4 + instances) % 65536;
  for (let tries = 0; tries < 64; tries++) {
    const taken = takenSubnets();
    for (let i = 0; i < 65536; i++, n = (n + 1) % 65536) {
      const a = n >> 8;
      const b = n & 255;
      if (!taken.has(`10.${a}.${b}`) && !(a === 0 && b === 0)) break;
    }
    const subnet = `10.${n >> 8}.${n & 255}`;
    // Adding the route fails if another process claimed the subnet meanwhile: try the next one.
    if (spawnSync('ip', ['route', 'add', 'unreachable', `${subnet}.0/24`, 'metric', '4242']).status === 0) {
      fs.writeFileSync(path.join(SUBNET_DIR, prefix), subnet);
      return subnet;
    }
    n = (n + 1) % 65536;
  }
  throw new Error('no free 10.x.y.0/24');
}

export function releaseSubnet(prefix: string): void {
  const f = path.join(SUBNET_DIR, prefix);
  let subnet = '';
  try {
    subnet = fs.readFileSync(f, 'utf8').trim();
  } catch {
    return;
  }
  tryRun('ip', ['route', 'del', 'unreachable', `${subnet}.0/24`, 'metric', '4242']);
  fs.rmSync(f, { force: true });
}

// ---------------------------------------------------------------- ip_forward, shared between processes

const FWD_DIR = '/run/sealflow-tests/ip_forward';
const FWD_FILE = '/proc/sys/net/ipv4/ip_forward';

function withLock<T>(f: () => T): T {
  fs.mkdirSync(FWD_DIR, { recursive: true });
  const lock = path.join(FWD_DIR, '.lock');
  const end = Date.now() + 10_000;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      // A lock left by a dead process is stale.
      const holder = Number(fs.readFileSync(lock, { encoding: 'utf8', flag: 'r' }) || 0);
      if (holder && !alive(holder)) fs.rmSync(lock, { force: true });
      else if (Date.now() > end) throw new Error(`ip_forward lock ${lock} held by pid ${holder}`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
  try {
    return f();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Users (`<pid>-<k>` files) still holding ip_forward, dropping those of dead processes. */
function liveUsers(): string[] {
  return fs.readdirSync(FWD_DIR).filter((f) => {
    const m = /^(\d+)-/.exec(f);
    if (!m) return false;
    if (alive(Number(m[1]))) return true;
    fs.rmSync(path.join(FWD_DIR, f), { force: true });
    return false;
  });
}

/**
 * Turns `net.ipv4.ip_forward` on for `user` (routing between namespaces goes
 * through the root namespace). The value before the first user is saved; the
 * last user to release restores it — also when earlier users died.
 */
export function acquireForward(user: string): void {
  withLock(() => {
    const users = liveUsers();
    const orig = path.join(FWD_DIR, 'original');
    if (users.length === 0) fs.writeFileSync(orig, fs.readFileSync(FWD_FILE, 'utf8').trim());
    fs.writeFileSync(path.join(FWD_DIR, `${process.pid}-${user}`), '');
    fs.writeFileSync(FWD_FILE, '1');
  });
}

export function releaseForward(user: string): void {
  if (!fs.existsSync(FWD_DIR)) return;
  withLock(() => {
    fs.rmSync(path.join(FWD_DIR, `${process.pid}-${user}`), { force: true });
    if (liveUsers().length === 0) {
      const orig = path.join(FWD_DIR, 'original');
      if (fs.existsSync(orig)) {
        fs.writeFileSync(FWD_FILE, fs.readFileSync(orig, 'utf8').trim() || '0');
        fs.rmSync(orig, { force: true });
      }
    }
  });
}

export function readForward(): string {
  return fs.readFileSync(FWD_FILE, 'utf8').trim();
}

// ---------------------------------------------------------------- namespaces and links

/** PIDs of every process in network namespace `ns`. */
export function netnsPids(ns: string): number[] {
  return tryRun('ip', ['netns', 'pids', ns])
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
}

export function netnsExists(ns: string): boolean {
  return tryRun('ip', ['netns', 'list']).split('\n').some((l) => l.split(' ')[0] === ns);
}

/**
 * Creates namespace `ns` linked to the root namespace by a veth pair: the root
 * end is named `ns` too and holds `gateway`/32, the far end is `eth0` in `ns`
 * holding `addr`/32; the root routes `addr` to the link, the namespace routes
 * its /24 and everything else via the gateway. So namespaces reach each other
 * only through the root namespace (ip_forward), and one link down cuts exactly
 * that host off.
 */
export function createLinkedNamespace(ns: string, addr: string, gateway: string): void {
  run('ip', ['netns', 'add', ns]);
  run('ip', ['link', 'add', ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  run('ip', ['addr', 'add', `${gateway}/32`, 'dev', ns]);
  run('ip', ['link', 'set', ns, 'up']);
  run('ip', ['route', 'add', `${addr}/32`, 'dev', ns, 'src', gateway]);
  const inNs = (...a: string[]) => run('ip', ['netns', 'exec', ns, 'ip', ...a]);
  inNs('link', 'set', 'lo', 'up');
  inNs('addr', 'add', `${addr}/32`, 'dev', 'eth0');
  inNs('link', 'set', 'eth0', 'up');
  inNs('route', 'add', `${gateway}/32`, 'dev', 'eth0', 'src', addr);
  inNs('route', 'add', 'default', 'via', gateway, 'dev', 'eth0', 'src', addr);
}

/** Takes the root end of `ns`'s link down or up (the namespace's host vanishes from / returns to the network). */
export function setLink(ns: string, up: boolean): void {
  run('ip', ['link', 'set', ns, up ? 'up' : 'down']);
  // Taking the link down drops its routes; bring the host route back.
  if (up) {
    const addr = /inet (\d+\.\d+\.\d+\.\d+)/.exec(tryRun('ip', ['netns', 'exec', ns, 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']))?.[1];
    const gw = /inet (\d+\.\d+\.\d+\.\d+)/.exec(tryRun('ip', ['-o', '-4', 'addr', 'show', 'dev', ns]))?.[1];
    if (addr && gw) tryRun('ip', ['route', 'replace', `${addr}/32`, 'dev', ns, 'src', gw]);
  }
}

/** SIGKILLs every process in `ns`, deletes its link and the namespace. Idempotent. */
export function destroyNamespace(ns: string): void {
  for (const pid of netnsPids(ns)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  tryRun('ip', ['link', 'del', ns]);
  tryRun('ip', ['netns', 'del', ns]);
}

// ---------------------------------------------------------------- cleanup on exit, and of dead processes

const cleanups = new Set<() => void>();
let hooked = false;

/** Registers a synchronous best-effort cleanup to run if the process exits first; returns its remover. */
export function onExit(f: () => void): () => void {
  cleanups.add(f);
  if (!hooked) {
    hooked = true;
    const runAll = () => {
      for (const c of [...cleanups]) {
        try {
          c();
        } catch {
          /* best effort */
        }
      }
      cleanups.clear();
    };
    process.on('exit', runAll);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const h = () => {
        runAll();
        process.removeListener(sig, h);
        process.kill(process.pid, sig);
      };
      process.on(sig, h);
    }
  }
  return () => cleanups.delete(f);
}

/**
 * Removes namespaces and root-side links named `sf<pid>-…` whose process is
 * dead (a test process killed before its cleanup ran), killing whatever still
 * runs inside them, and releases their hold on ip_forward.
 */
export function sweepStale(): void {
  const dead = (name: string) => {
    const m = NAME.exec(name);
    return m !== null && Number(m[1]) !== process.pid && !alive(Number(m[1]));
  };
  for (const line of tryRun('ip', ['netns', 'list']).split('\n')) {
    const ns = line.split(' ')[0] ?? '';
    if (dead(ns)) destroyNamespace(ns);
  }
  for (const m of tryRun('ip', ['-o', 'link', 'show']).matchAll(/^\d+: ([^:@\s]+)/gm)) {
    if (dead(m[1]!)) tryRun('ip', ['link', 'del', m[1]!]);
  }
  if (fs.existsSync(SUBNET_DIR)) for (const f of fs.readdirSync(SUBNET_DIR)) if (dead(f)) releaseSubnet(f);
  // Temp directories (keys, configs, state, logs) are named sf<pid>-… too.
  for (const e of fs.readdirSync(os.tmpdir())) {
    if (dead(e)) fs.rmSync(path.join(os.tmpdir(), e), { recursive: true, force: true });
  }
  if (fs.existsSync(FWD_DIR)) {
    // Releasing nothing of ours still prunes dead users and restores the original value if none is left.
    releaseForward('sweep');
  }
}

/** Whether another live process holds ip_forward on (then it is not restored yet when this one lets go). */
export function forwardHeldByOthers(): boolean {
  if (!fs.existsSync(FWD_DIR)) return false;
  return fs.readdirSync(FWD_DIR).some((f) => {
    const m = /^(\d+)-/.exec(f);
    return m !== null && Number(m[1]) !== process.pid && alive(Number(m[1]));
  });
}

/** The ip_forward value saved by the first current user (restored when the last one leaves). */
export function forwardOriginal(): string | undefined {
  try {
    return fs.readFileSync(path.join(FWD_DIR, 'original'), 'utf8').trim();
  } catch {
    return undefined;
  }
}
