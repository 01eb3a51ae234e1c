/**
 * The ssh transport's work on a connected host, against real sshd servers on
 * namespace hosts: per-run directories (opaque names, marker, lock, sweep of
 * dead runs), checked uploads, remote processes (exact environment, kill of
 * the whole process group, death with the SSH session), and remote-to-local
 * forwards (loopback only on the far side).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { compileSshOptions, SshHost, type RemoteProcess } from '../../src/connectors/ssh/index.js';
import { hostsMissing, startHosts, type Host, type Hosts } from '../helpers/hosts.js';
import { markScanStart, SCAN_FILES_FOR_P } from '../helpers/leak-scan.js';
import { PATIENCE_MS, sleep } from '../helpers/wait.js';

const skip = hostsMissing();
const CANARY = `SF-CANARY-${randomBytes(8).toString('hex')}`;

/** Polls an async condition until it holds (bounded by PATIENCE_MS). */
async function eventually(what: string, pred: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + PATIENCE_MS;
  while (!(await pred())) {
    if (Date.now() > end) assert.fail(`still not true after ${PATIENCE_MS} ms: ${what}`);
    await sleep(25);
  }
}

const text = (s: NodeJS.ReadableStream) =>
  new Promise<string>((resolve) => {
    let t = '';
    s.on('data', (b: Buffer) => (t += b.toString()));
    s.on('end', () => resolve(t));
  });

/** Processes of a remote process group: `pid args` lines. */
async function group(h: Host, pgid: number): Promise<string[]> {
  const out = await h.exec(`ps -eo pgid=,pid=,args= | awk '$1 == ${pgid} { $1 = ""; print substr($0, 2) }'`);
  return out.split('\n').filter((l) => l.trim() !== '' && !l.includes('awk') && !l.includes('ps -eo'));
}

describe('ssh transport: run directories, uploads, processes and forwards', { skip }, () => {
  let hosts: Hosts;
  let tmp: string;
  let a: SshHost;
  let b: SshHost;
  let ha: Host;
  let hb: Host;

  const sshHost = (h: Host) =>
    new SshHost(compileSshOptions('cloud', { host: h.address, user: 'root', identityFile: h.identityFile, knownHosts: h.knownHostsFile }));

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-remote-'));
    fs.writeFileSync(path.join(tmp, 'master-secret'), CANARY);
    hosts = await startHosts(2, { hide: [tmp] });
    await markScanStart(hosts.hosts);
    // Set after the hosts' sshd started (they would inherit it): our ssh clients inherit it, and it must not reach the host.
    process.env['SEALFLOW_TEST_CANARY'] = CANARY;
    [ha, hb] = hosts.hosts as [Host, Host];
    a = sshHost(ha);
    b = sshHost(hb);
    await Promise.all([a.connect(), b.connect()]);
  });
  after(async () => {
    delete process.env['SEALFLOW_TEST_CANARY'];
    await a?.close();
    await b?.close();
    await hosts?.stopAll();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('a run directory has an opaque name, mode 0700 under a 0700 base, and a marker with the token and creation time', async () => {
    const token = randomBytes(16).toString('hex');
    const dir = await a.makeRunDir(token);
    try {
      assert.match(dir.name, /^[0-9a-f]{24}$/);
      assert.equal(dir.path, `${ha.home}/.sealflow-worker/${dir.name}`);
      const [modes, marker] = (await ha.exec(`stat -c %a ~/.sealflow-worker ${dir.path}; cat ${dir.path}/.sealflow-run`)).split('\n').reduce<[string[], string]>(
        ([m, k], l, i) => (i < 2 ? [[...m, l], k] : [m, k + (l ? l : '')]),
        [[], ''],
      );
      assert.deepEqual(modes, ['700', '700']);
      const now = Math.floor(Date.now() / 1000);
      const m = /^sealflow-run-v1 ([0-9a-f]+) (\d+)$/.exec(marker);
      assert.ok(m, marker);
      assert.equal(m[1], token);
      assert.ok(Math.abs(Number(m[2]) - now) < 3600, 'creation time from the host clock');
      // It lives on that host's own disk only.
      assert.ok(fs.existsSync(path.join(ha.homeOnDisk!, '.sealflow-worker', dir.name)));
      assert.equal(fs.existsSync(path.join(hb.homeOnDisk!, '.sealflow-worker', dir.name)), false);
    } finally {
      await a.removeRunDir(dir);
    }
    assert.equal((await ha.exec(`test -e ${dir.path} && echo left || echo gone`)).trim(), 'gone');
  });

  test('an upload arrives byte for byte with the mode asked for, checked on the host by size and SHA-256', async () => {
    const dir = await a.makeRunDir();
    try {
      const local = path.join(tmp, 'bundle.bin');
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      fs.writeFileSync(local, bytes);
      const sha = createHash('sha256').update(bytes).digest('hex');
      const up = await dir.upload(local, 'b0', 0o500);
      assert.deepEqual(up, { path: `${dir.path}/b0`, size: bytes.length, sha256: sha });
      const [mode, remoteSha] = (await ha.exec(`stat -c %a ${dir.path}/b0; sha256sum < ${dir.path}/b0; ls -A ${dir.path}`)).split('\n');
      assert.equal(mode, '500');
      assert.equal(remoteSha!.split(' ')[0], sha);
      assert.deepEqual(Buffer.compare(fs.readFileSync(path.join(ha.homeOnDisk!, '.sealflow-worker', dir.name, 'b0')), bytes), 0);
      // Default mode 0600; names that could escape the directory are refused before anything is sent.
      fs.writeFileSync(path.join(tmp, 'small'), 'x');
      await dir.upload(path.join(tmp, 'small'), 'c.json');
      assert.equal((await ha.exec(`stat -c %a ${dir.path}/c.json`)).trim(), '600');
      for (const bad of ['../escape', '.sealflow-run', 'a/b', 'x.part', '']) {
        await assert.rejects(dir.upload(path.join(tmp, 'small'), bad), /remote name .* must be 1–100 of/);
      }
    } finally {
      await dir.remove();
    }
  });

  test('sweeping removes only dead runs: marked, not live, not locked, old enough', async () => {
    const live = await a.makeRunDir();
    const dead = await a.makeRunDir();
    const held = await a.makeRunDir();
    const young = await a.makeRunDir();
    await dead.release(); // its master "died": the session holding the lock is gone
    await young.release();
    await ha.exec(`mkdir -p ~/.sealflow-worker/0123456789abcdef01234567 ~/.sealflow-worker/not-ours`);
    try {
      const first = await a.sweepDead({ live: [live.token], minAgeSeconds: 3600 });
      assert.deepEqual(
        new Map(first.map((l) => [l.name, l.removed ? 'removed' : l.reason])),
        new Map([
          [live.name, 'live'],
          [dead.name, 'young'],
          [held.name, 'young'],
          [young.name, 'young'],
          ['0123456789abcdef01234567', 'no-marker'],
        ]),
      );
      // The marker's creation time is the host's: age them by rewriting it an hour back.
      await ha.exec(`cd ~/.sealflow-worker && for d in ${dead.name} ${held.name} ${live.name}; do read -r v t c < $d/.sealflow-run; echo "$v $t $((c - 7200))" > $d/.sealflow-run; done`);
      const second = await a.sweepDead({ live: [live.token], minAgeSeconds: 3600 });
      assert.deepEqual(
        new Map(second.map((l) => [l.name, l.removed ? 'removed' : l.reason])),
        new Map([
          [live.name, 'live'],
          [dead.name, 'removed'],
          [held.name, 'locked'],
          [young.name, 'young'],
          ['0123456789abcdef01234567', 'no-marker'],
        ]),
      );
      assert.equal((await ha.exec(`ls ~/.sealflow-worker | sort`)).trim().split('\n').sort().join(' '), [live.name, held.name, young.name, '0123456789abcdef01234567', 'not-ours'].sort().join(' '));
    } finally {
      for (const d of [live, held, young]) await d.remove();
      await ha.exec(`rm -rf ~/.sealflow-worker/0123456789abcdef01234567 ~/.sealflow-worker/not-ours`);
    }
  });

  test('a remote process gets its argv intact, exactly the given environment and directory, and reports its exit code', async () => {
    const dir = await a.makeRunDir();
    try {
      const odd = `it's "odd" $HOME \`id\` ; | & *\n\t\\ end`;
      const p = a.spawn(['sh', '-c', 'printf "%s|" "$@"; pwd; env | sort; echo to-stderr >&2; exit 3', 'sh', odd, ''], {
        env: { SF_SLOT: 'w1', PATH: '/usr/bin:/bin' },
        cwd: dir.path,
      });
      const [out, err, exit] = await Promise.all([text(p.stdout), text(p.stderr), p.exited]);
      assert.equal(out, `${odd}||${dir.path}\nPATH=/usr/bin:/bin\nPWD=${dir.path}\nSF_SLOT=w1\n`);
      assert.equal(err, 'to-stderr\n');
      assert.deepEqual(exit, { code: 3, signal: null, sessionLost: false });
    } finally {
      await dir.remove();
    }
  });

  test("a process's stdout arrives whole and in order (8 MiB, through a reader that pauses)", async () => {
    const p = a.spawn(['sh', '-c', 'i=0; while [ $i -lt 64 ]; do head -c 131072 /dev/zero | tr "\\0" "$((i % 10))"; i=$((i + 1)); done']);
    const hash = createHash('sha256');
    let n = 0;
    for await (const chunk of p.stdout) {
      hash.update(chunk as Buffer);
      n += (chunk as Buffer).length;
      if (n % 3 === 0) await new Promise((r) => setImmediate(r)); // a slow reader now and then
    }
    const want = createHash('sha256');
    for (let i = 0; i < 64; i++) want.update(Buffer.alloc(131072, String(i % 10)));
    assert.equal(n, 64 * 131072);
    assert.equal(hash.digest('hex'), want.digest('hex'));
    assert.deepEqual(await p.exited, { code: 0, signal: null, sessionLost: false });
  });

  test("the host's ps and /proc show only what was given: argv, env, an opaque directory — no secret of the master", async () => {
    const dir = await a.makeRunDir();
    const p = a.spawn(['sleep', '1000'], { env: { SF_SLOT: 'w2' }, cwd: dir.path });
    try {
      const pgid = await p.pgid;
      let procs: string[] = [];
      await eventually('the remote sleep runs', async () => (procs = await group(ha, pgid)).some((l) => /^\d+ sleep 1000$/.test(l)));
      const sleepPid = Number(procs.find((l) => /^\d+ sleep 1000$/.test(l))!.trim().split(' ')[0]);
      const [environ, cwd] = (await ha.exec(`tr '\\0' '\\n' < /proc/${sleepPid}/environ; echo; readlink /proc/${sleepPid}/cwd`)).split('\n\n');
      assert.equal(environ, 'SF_SLOT=w2');
      assert.equal(cwd!.trim(), dir.path);
      // Every process of the group: the wrapper, the watchdog, and the program — with nothing but what was given.
      for (const l of procs) assert.match(l, /^\d+ (sh -c .*sealflow-pgid.* sh \S+ SF_SLOT=w2 sleep 1000|sleep 1000|cat|sh -c .*)$/s, l);
      // Nothing of the master anywhere on the host: no canary in any process's argv or environment, on its disk or in its home.
      // (The pattern is put together inside the shell, so no command line of the scan itself holds it.)
      const [head, tail] = [CANARY.slice(0, 10), CANARY.slice(10)];
      const leaks = await ha.exec(
        `p=${head}; p="$p"${tail}; for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do case "$(tr '\\0' ' ' < $f 2>/dev/null)" in *"$p"*) echo $f;; esac; done; ${SCAN_FILES_FOR_P}`,
        60_000,
      );
      assert.equal(leaks.trim(), '');
      // The same scan does find what was given (a control: the scan works).
      const found = await ha.exec(`p=SF_SLOT; p="$p"=w2; for f in /proc/[0-9]*/environ; do case "$(tr '\\0' ' ' < $f 2>/dev/null)" in *"$p"*) echo $f;; esac; done`);
      assert.ok(found.split('\n').includes(`/proc/${sleepPid}/environ`), found);
      assert.equal((await ha.exec(`cat ${tmp}/master-secret 2>&1 || true`)).includes(CANARY), false, "the master's state is hidden");
    } finally {
      await p.kill();
      await dir.remove();
    }
  });

  test('kill() kills the whole remote process group, children included, not only the local ssh client', async () => {
    const p = a.spawn(['sh', '-c', 'sleep 1001 & sleep 1002 & wait']);
    const pgid = await p.pgid;
    await eventually('both sleeps run', async () => (await group(ha, pgid)).filter((l) => /^\d+ sleep 100[12]$/.test(l)).length === 2);
    await p.kill();
    assert.deepEqual(await p.exited, { code: null, signal: 'SIGKILL', sessionLost: false });
    assert.deepEqual(await group(ha, pgid), []);
  });

  test('a remote process killed on the host reports its signal', async () => {
    const p = a.spawn(['sleep', '1003']);
    const pgid = await p.pgid;
    await eventually('sleep runs', async () => (await group(ha, pgid)).some((l) => /^\d+ sleep 1003$/.test(l)));
    await ha.exec(`pkill -KILL -x -g ${pgid} sleep`);
    assert.deepEqual(await p.exited, { code: null, signal: 'SIGKILL', sessionLost: false });
  });

  const sessionDeath = async (how: string, cut: (p: RemoteProcess) => Promise<void>) => {
    const p = a.spawn(['sh', '-c', 'sleep 1004 & sleep 1005']);
    const pgid = await p.pgid;
    await eventually('both sleeps run', async () => (await group(ha, pgid)).filter((l) => /^\d+ sleep 100[45]$/.test(l)).length === 2);
    await cut(p);
    assert.equal((await p.exited).sessionLost, true, how);
    await eventually(`the remote process group is gone after ${how}`, async () => (await group(ha, pgid)).length === 0);
  };

  test('when the local ssh client is killed, the remote process group dies too', async () => {
    await sessionDeath('SIGKILL of the local ssh client', async (p) => void process.kill(p.localPid, 'SIGKILL'));
  });

  test('when the control master dies, every remote process over it dies too, and connect() opens a new one', async () => {
    await sessionDeath('SIGKILL of the control master', async () => {
      const pid = await a.masterPid();
      assert.ok(pid);
      process.kill(pid, 'SIGKILL');
    });
    await a.connect();
    assert.equal((await a.run('echo again')).stdout.toString(), 'again\n');
  });

  test('when the master process itself is SIGKILLed, its remote processes and run-directory locks die with it', async () => {
    const mod = new URL('../../src/connectors/ssh/index.js', import.meta.url).href;
    const script = `const { compileSshOptions, SshHost } = await import(${JSON.stringify(mod)});
      const h = new SshHost(compileSshOptions('cloud', ${JSON.stringify({ host: ha.address, user: 'root', identityFile: ha.identityFile, knownHosts: ha.knownHostsFile })}));
      await h.connect();
      const dir = await h.makeRunDir();
      const p = h.spawn(['sleep', '1007']);
      process.stdout.write(JSON.stringify({ pgid: await p.pgid, dir: dir.name, token: dir.token }) + '\\n');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => {
      let t = '';
      child.stdout.on('data', (b: Buffer) => {
        t += b.toString();
        if (t.includes('\n')) resolve(t.split('\n')[0]!);
      });
    });
    const started = JSON.parse(line) as { pgid: number; dir: string; token: string };
    await eventually('sleep runs', async () => (await group(ha, started.pgid)).some((l) => /^\d+ sleep 1007$/.test(l)));
    child.kill('SIGKILL');
    // Its ssh clients see their stdin close: the lifeline ends, the watchdog kills the group, the lock is freed.
    await eventually('the remote process group is gone', async () => (await group(ha, started.pgid)).length === 0);
    await eventually('the dead run directory can be swept', async () =>
      (await a.sweepDead({ live: [], minAgeSeconds: 0 })).some((l) => l.name === started.dir && l.removed),
    );
    // Its control directory is removed by the next SshHost made on this machine.
    const leftover = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`sf-ssh-${child.pid}-`));
    assert.equal(leftover().length, 1);
    await sshHost(ha).close();
    assert.deepEqual(leftover(), []);
  });

  test('when a host falls silent (link down), its control master gives up after the keep-alives and every session reports the loss', async () => {
    const p = b.spawn(['sleep', '1006']);
    await p.pgid;
    hb.linkDown();
    try {
      assert.equal((await p.exited).sessionLost, true);
      assert.equal(await b.masterPid(), null, 'the control master is gone');
    } finally {
      hb.linkUp();
    }
    await b.connect();
    assert.equal((await b.run('echo back')).stdout.toString(), 'back\n');
    // The host's sshd has not noticed (no traffic reached it): what ran there is cleaned up by hand here.
    await hb.exec('pkill -KILL -x sleep; true');
  });

  test('a loopback port forwarded from the host reaches a server of the master, and only from the host itself', async () => {
    const server = net.createServer((s) => s.once('data', (d) => s.end(`pong:${d}`)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const fw = await a.forwardRemoteToLocal({ port: 0 }, { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
      assert.equal(fw.remote, `127.0.0.1:${fw.port}`);
      const client = (target: string) =>
        `node -e 'const s=require("net").connect(${target});s.on("error",e=>{console.log("ERR",e.code);});s.on("connect",()=>s.write("ping"));s.on("data",d=>console.log(String(d)))'`;
      assert.equal((await ha.exec(client(String(fw.port)))).trim(), 'pong:ping');
      // Bound to loopback on the far side: the host's own address and another host cannot connect.
      assert.match((await ha.exec(`ss -Hltn 'sport = :${fw.port}'`)).trim(), new RegExp(`127\\.0\\.0\\.1:${fw.port}\\b`));
      assert.equal((await ha.exec(client(`${fw.port},"${ha.address}"`))).trim(), 'ERR ECONNREFUSED');
      assert.equal((await hb.exec(client(`${fw.port},"${ha.address}"`))).trim(), 'ERR ECONNREFUSED');
      await fw.cancel();
      assert.equal((await ha.exec(client(String(fw.port)))).trim(), 'ERR ECONNREFUSED');
    } finally {
      server.close();
    }
  });

  test('a Unix socket forwarded from the host (0600, in the run directory) reaches a socket of the master', async () => {
    const local = path.join(tmp, 'evidence.sock');
    const server = net.createServer((s) => s.once('data', (d) => s.end(`evidence-for:${d}`)));
    await new Promise<void>((r) => server.listen(local, r));
    const dir = await a.makeRunDir();
    try {
      const remote = `${dir.path}/e.sock`;
      await ha.exec(`touch ${remote}`); // a stale file in the way is replaced
      const fw = await a.forwardRemoteToLocal({ socket: remote }, { socket: local });
      assert.equal(fw.remote, remote);
      assert.equal((await ha.exec(`stat -c '%F %a' ${remote}`)).trim(), 'socket 600');
      const out = await ha.exec(`node -e 'const s=require("net").connect(${JSON.stringify(remote)});s.on("connect",()=>s.write("slot-3"));s.on("data",d=>console.log(String(d)))'`);
      assert.equal(out.trim(), 'evidence-for:slot-3');
      // The master's socket path is not on the host: only the forwarded one is.
      assert.equal((await ha.exec(`test -e ${local} && echo visible || echo absent`)).trim(), 'absent');
      await fw.cancel();
    } finally {
      server.close();
      await dir.remove();
    }
  });
});
