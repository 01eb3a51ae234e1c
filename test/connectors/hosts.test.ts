/**
 * Smoke test of the namespace SSH hosts the ssh connector's tests stand on
 * (test/helpers/hosts.ts): two hosts, each its own sshd and address; the
 * master's state directory invisible on them; host↔host routing; nothing
 * left behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startHosts, hostsMissing, type Hosts } from '../helpers/hosts.js';
import { forwardHeldByOthers, forwardOriginal, netnsExists, netnsPids, readForward, sweepStale } from '../helpers/netns.js';
import { isZombie, pidsWithCmdline } from '../helpers/processes.js';

const skip = hostsMissing();

/** Whether a TCP connection to addr:port opens within 1.5 s. */
function tcpReachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 1_500 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('timeout', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(false));
  });
}

describe('namespace ssh hosts', { skip }, () => {
  let hosts: Hosts;
  let home: string;
  let forwardBefore: string;
  let stopped = false;

  before(async () => {
    // Another test process using namespaces may already hold ip_forward on; then the value to come back is the one it saved.
    forwardBefore = forwardOriginal() ?? readForward();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-master-home-'));
    fs.writeFileSync(path.join(home, 'broker.key'), 'MASTER-SECRET-CANARY\n');
    hosts = await startHosts(2, { hide: [home] });
  });

  after(async () => {
    if (!stopped) await hosts?.stopAll();
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('each host answers over ssh with its own hostname, address and processes', async () => {
    assert.equal(hosts.hosts.length, 2);
    assert.notEqual(hosts.hosts[0]!.address, hosts.hosts[1]!.address);
    for (const h of hosts.hosts) {
      const out = await h.exec('hostname; hostname -I; ip -o -4 addr show');
      const [name, addrs] = out.split('\n');
      assert.equal(name, h.name);
      assert.deepEqual(addrs!.trim().split(/\s+/), [h.address], out);
      assert.match(out, new RegExp(`inet ${h.address.replace(/\./g, '\\.')}/32`));
    }
    // Each host sees only its own processes: sshd is its PID 1, the test's node process is invisible.
    const ps = await hosts.hosts[0]!.exec(`cat /proc/1/comm; test -e /proc/${process.pid}/root/${home} && echo MASTER-VISIBLE || echo own-pids`);
    assert.deepEqual(ps.trim().split('\n'), ['sshd', 'own-pids']);
  });

  test("the master's state directory is hidden on the hosts (a file written there is absent)", async () => {
    assert.ok(fs.existsSync(path.join(home, 'broker.key')));
    for (const h of hosts.hosts) {
      const out = await h.exec(
        `test -e ${home}/broker.key && echo PRESENT || echo absent; ls -A ${home} | wc -l; grep -rs MASTER-SECRET-CANARY ${home} || true; findmnt -n -o FSTYPE ${home}`,
      );
      assert.deepEqual(out.trim().split('\n'), ['absent', '0', 'tmpfs'], out);
    }
    // A file written after the hosts started is not visible either (not a copy: a different mount).
    fs.writeFileSync(path.join(home, 'later'), 'x');
    assert.equal((await hosts.hosts[0]!.exec(`test -e ${home}/later && echo PRESENT || echo absent`)).trim(), 'absent');
  });

  test('each host has its own home directory (what is left in ~ stays on that host)', async () => {
    const [a, b] = hosts.hosts;
    assert.equal((await a!.exec('cd && pwd && echo from-a > probe && ls')).trim(), `${a!.home}\nprobe`);
    assert.equal((await b!.exec('cd && ls -A | wc -l')).trim(), '0');
    assert.equal(fs.readFileSync(path.join(a!.homeOnDisk!, 'probe'), 'utf8'), 'from-a\n');
    assert.equal(fs.existsSync(path.join(os.homedir(), 'probe')), false);
  });

  test('the hosts reach each other (routed veths, for worker↔worker transfers) and the root namespace', async () => {
    const [a, b] = hosts.hosts;
    // A → B's sshd port, through the root namespace: B's banner comes back.
    const banner = await a!.exec(`timeout 5 bash -c 'exec 3<>/dev/tcp/${b!.address}/${b!.port}; head -c 7 <&3'`);
    assert.equal(banner, 'SSH-2.0');
    // A → a server of the test (the "master") listening on the gateway address in the root namespace.
    const server = net.createServer((s) => s.end('master-hello'));
    await new Promise<void>((r) => server.listen(0, hosts.gateway, r));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const got = await b!.exec(`timeout 5 bash -c 'exec 3<>/dev/tcp/${hosts.gateway}/${port}; cat <&3'`);
      assert.equal(got, 'master-hello');
    } finally {
      server.close();
    }
  });

  test('a host can be cut off the network and brought back', async () => {
    const h = hosts.hosts[1]!;
    h.linkDown();
    assert.equal(await tcpReachable(h.address, h.port), false, 'reachable with its link down');
    h.linkUp();
    assert.equal((await h.exec('echo back')).trim(), 'back');
  });

  test('a host can be taken away entirely (every process in it killed)', async () => {
    const h = hosts.hosts[1]!;
    await h.kill();
    assert.equal(fs.existsSync(`/proc/${h.pid}`) && !isZombie(h.pid), false, 'sshd survived kill()');
    assert.deepEqual(netnsPids(h.name), []);
    h.linkUp();
    await assert.rejects(h.exec('true', 8_000), /refused|closed|reset/i);
    // The other host is untouched.
    assert.equal((await hosts.hosts[0]!.exec('echo alive')).trim(), 'alive');
  });

  test('stopAll leaves no namespace, no sshd, no link, and ip_forward as it was', async () => {
    const names = hosts.hosts.map((h) => h.name);
    const pids = hosts.hosts.map((h) => h.pid);
    const dir = hosts.dir;
    const original = forwardOriginal();
    assert.equal(original, forwardBefore, 'the saved ip_forward value');
    assert.equal(readForward(), '1');
    stopped = true;
    await hosts.stopAll();
    for (const n of names) assert.equal(netnsExists(n), false, `namespace ${n} left`);
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    for (const n of names) assert.ok(!links.includes(`: ${n}@`) && !links.includes(`: ${n}:`), `link ${n} left`);
    assert.ok(!execFileSync('ip', ['route', 'show'], { encoding: 'utf8' }).includes(`${hosts.subnet}.`), 'routes of the subnet left');
    for (const p of pids) assert.equal(fs.existsSync(`/proc/${p}`), false, `sshd ${p} left`);
    assert.deepEqual(pidsWithCmdline(dir), [], 'a process using the hosts dir survived');
    assert.equal(fs.existsSync(dir), false);
    // Another test process using namespaces at the same time keeps ip_forward on until it is done
    // (read the value first: one that registers after the check would turn it on again).
    const forwardAfter = readForward();
    if (!forwardHeldByOthers()) assert.equal(forwardAfter, forwardBefore);
  });
});

describe('hosts left by a test process that was SIGKILLed', { skip }, () => {
  test('are swept: namespace, sshd, link, subnet route and temp dir', () => {
    const helper = new URL('../helpers/hosts.js', import.meta.url).href;
    const script = `const { startHosts } = await import(${JSON.stringify(helper)});
      const h = await startHosts(1);
      process.stdout.write(JSON.stringify({ name: h.hosts[0].name, pid: h.hosts[0].pid, dir: h.dir, subnet: h.subnet }));
      process.kill(process.pid, 'SIGKILL');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    const left = JSON.parse(r.stdout) as { name: string; pid: number; dir: string; subnet: string };
    assert.ok(netnsExists(left.name), 'nothing was left to sweep');
    assert.ok(fs.existsSync(left.dir));
    sweepStale();
    assert.equal(netnsExists(left.name), false);
    assert.equal(fs.existsSync(left.dir), false);
    assert.equal(fs.existsSync(`/proc/${left.pid}`) && !isZombie(left.pid), false, 'its sshd survived');
    assert.ok(!execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).includes(left.name));
    assert.ok(!execFileSync('ip', ['route', 'show'], { encoding: 'utf8' }).includes(`${left.subnet}.`));
  });
});
