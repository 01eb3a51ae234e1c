/**
 * The ssh transport's connection and checks against real sshd servers on
 * namespace hosts (test/helpers/hosts.ts): the control master, the host-key
 * policy (unknown, changed, accepted on first use), refused authentication,
 * unreachable hosts, an ssh config alias, and the remote node check.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileSshOptions, SshError, SshHost } from '../../src/connectors/ssh/index.js';
import { hostsMissing, startHosts, type Host, type Hosts } from '../helpers/hosts.js';

const skip = hostsMissing();

describe('ssh transport: connecting and checking a host', { skip }, () => {
  let hosts: Hosts;
  let tmp: string;
  const open: SshHost[] = [];

  const sshHost = (h: Host, extra: Record<string, unknown> = {}) => {
    const s = new SshHost(
      compileSshOptions('cloud', { host: h.address, user: 'root', identityFile: h.identityFile, knownHosts: h.knownHostsFile, ...extra }),
    );
    open.push(s);
    return s;
  };
  const failure = async (p: Promise<unknown>, kind: string): Promise<string> => {
    const e = await p.then(
      () => assert.fail(`expected an SshError of kind ${kind}`),
      (err: unknown) => err,
    );
    assert.ok(e instanceof SshError, String(e));
    assert.equal(e.kind, kind, e.message);
    assert.equal(e.deployment, 'cloud');
    assert.ok(!e.message.includes('\n'), `not one line: ${e.message}`);
    return e.message;
  };

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-connect-'));
    hosts = await startHosts(2, { hide: [tmp] });
  });
  after(async () => {
    for (const s of open) await s.close();
    await hosts?.stopAll();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('connects from a process whose TMPDIR is too long for a socket path (its control socket goes to /tmp)', async () => {
    const long = path.join(tmp, 'a-directory-name-long-enough-to-push-a-control-socket-past-the-limit');
    fs.mkdirSync(long);
    const before = process.env.TMPDIR;
    process.env.TMPDIR = long;
    try {
      const s = sshHost(hosts.hosts[0]!);
      await s.connect();
      assert.equal((await s.run('echo ok')).stdout.toString(), 'ok\n');
      assert.deepEqual(fs.readdirSync(long), [], 'nothing of ssh in the long TMPDIR');
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
  });

  test('connects through one control master, and further commands ride it', async () => {
    const h = hosts.hosts[0]!;
    const s = sshHost(h);
    const c = await s.connect();
    assert.deepEqual(c, { hostname: h.address, port: 22, user: 'root' });
    const pid = await s.masterPid();
    assert.ok(pid !== null && pid > 1);
    const r = await s.run('hostname; echo "$SSH_AUTH_SOCK|$DISPLAY"');
    assert.equal(r.stdout.toString(), `${h.name}\n|\n`, 'no agent or X11 forwarding on the host');
    // The same master still serves: no second connection was opened.
    assert.equal(await s.masterPid(), pid);
    await s.close();
    assert.equal(await s.masterPid(), null);
  });

  test('refuses a host whose key is not in known_hosts, naming the deployment and the host', async () => {
    const h = hosts.hosts[0]!;
    const empty = path.join(tmp, 'empty_known_hosts');
    fs.writeFileSync(empty, '');
    const msg = await failure(sshHost(h, { knownHosts: empty }).connect(), 'unknown-host-key');
    assert.equal(
      msg,
      `deployment "cloud": host ${h.address}:22: its host key is not in ${empty}; nothing was sent. Get the key's fingerprint from the host's administrator and add the host to that file, or set acceptNewHostKey: true to accept it on first use (its fingerprint is journalled)`,
    );
    assert.equal(fs.readFileSync(empty, 'utf8'), '', 'known_hosts was not written');
  });

  test('refuses a host whose key changed, with the warning and the known_hosts line, even with acceptNewHostKey', async () => {
    const h = hosts.hosts[0]!;
    const other = path.join(tmp, 'other_host_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const wrong = path.join(tmp, 'wrong_known_hosts');
    fs.writeFileSync(wrong, `# another key for the same address\n${h.address} ${fs.readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
    const fp = execFileSync('ssh-keygen', ['-l', '-f', path.join(hosts.dir, 'h0', 'host_ed25519.pub')], { encoding: 'utf8' }).split(' ')[1]!;
    for (const accept of [false, true]) {
      const msg = await failure(sshHost(h, { knownHosts: wrong, acceptNewHostKey: accept }).connect(), 'changed-host-key');
      assert.equal(
        msg,
        `deployment "cloud": host ${h.address}:22: its host key has CHANGED from the one recorded in ${wrong}:2 (it now presents ${fp}) — someone may be intercepting the connection, or the host was reinstalled; nothing was sent. Confirm the new key with the host's administrator before replacing the old line (ssh-keygen -R <host> -f <known_hosts>)`,
      );
    }
  });

  test('accepts a new host key only when asked, and returns its fingerprint to journal', async () => {
    const h = hosts.hosts[1]!;
    const kh = path.join(tmp, 'new_known_hosts');
    const s = sshHost(h, { knownHosts: kh, acceptNewHostKey: true });
    const c = await s.connect();
    const fp = execFileSync('ssh-keygen', ['-l', '-f', path.join(hosts.dir, 'h1', 'host_ed25519.pub')], { encoding: 'utf8' }).split(' ')[1]!;
    assert.deepEqual(c.acceptedHostKey, { host: h.address, fingerprints: [fp], knownHosts: kh });
    // Recorded in that file (hashed or not, as the user's ssh config says): ssh-keygen finds it.
    assert.match(execFileSync('ssh-keygen', ['-F', h.address, '-f', kh], { encoding: 'utf8' }), /ssh-ed25519 /);
    await s.close();
    // Known now: nothing new to journal on the next connection.
    const again = await sshHost(h, { knownHosts: kh, acceptNewHostKey: true }).connect();
    assert.equal(again.acceptedHostKey, undefined);
  });

  test('reports refused authentication when the key is not in authorized_keys', async () => {
    const h = hosts.hosts[0]!;
    const key = path.join(tmp, 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const msg = await failure(sshHost(h, { identityFile: key }).connect(), 'auth');
    assert.equal(
      msg,
      `deployment "cloud": host ${h.address}:22: refused authentication for user root (public key); check identityFile or the SSH agent, and that the public key is in that user's authorized_keys on the host (passwords are never used)`,
    );
  });

  test('reaches a host through an alias of an ssh config file, and names both in messages', async () => {
    const h = hosts.hosts[0]!;
    const cfg = path.join(tmp, 'ssh_config');
    fs.writeFileSync(cfg, `Host worker-a\n  HostName ${h.address}\n  User root\n  IdentityFile ${h.identityFile}\n  UserKnownHostsFile ${h.knownHostsFile}\n`);
    const s = new SshHost(compileSshOptions('cloud', { host: 'worker-a', configFile: cfg }));
    open.push(s);
    assert.deepEqual(await s.connect(), { hostname: h.address, port: 22, user: 'root' });
    assert.equal(s.label, `worker-a (${h.address}:22)`);
    assert.equal((await s.run('hostname')).stdout.toString().trim(), h.name);
  });

  test('accepts a remote node of version 20 or later and reports its version', async () => {
    const s = sshHost(hosts.hosts[0]!);
    await s.connect();
    const n = await s.checkNode();
    assert.equal(n.version, process.version, 'the host runs the same node binary (shared /usr)');
    assert.ok(n.major >= 20);
  });

  test('names the host and what to do when the remote node is missing', async () => {
    const h = hosts.hosts[0]!;
    const s = sshHost(h, { nodePath: '/nonexistent/node' });
    await s.connect();
    const msg = await failure(s.checkNode(), 'node');
    assert.match(msg, new RegExp(`^deployment "cloud": host ${h.address}:22: has no runnable node at "/nonexistent/node" \\(.*\\): install Node\\.js 20 or later there, or set nodePath to its absolute path$`));
  });

  test('names the host and the version when the remote node is older than 20', async () => {
    const h = hosts.hosts[0]!;
    await h.exec(`printf '#!/bin/sh\\necho v18.19.0\\n' > ~/old-node && chmod 755 ~/old-node`);
    const s = sshHost(h, { nodePath: `${h.home}/old-node` });
    await s.connect();
    const msg = await failure(s.checkNode(), 'node');
    assert.equal(msg, `deployment "cloud": host ${h.address}:22: runs Node.js v18.19.0, but sealflow workers need Node.js 20 or later: install a newer Node.js there, or set nodePath to one`);
  });

  test('finds the POSIX tools the transport needs on the host, and names each missing one', async () => {
    const h = hosts.hosts[0]!;
    const s = sshHost(h);
    await s.connect();
    await s.checkTools();
    const e = await s.checkTools(['sf-no-such-tool', 'sf-nor-this']).then(
      () => assert.fail('missing tools passed'),
      (err: unknown) => err as SshError,
    );
    assert.equal(e.kind, 'remote');
    assert.match(e.message, new RegExp(`^deployment "cloud": host ${h.address}:22: lacks sf-no-such-tool, sf-nor-this \\(needed: env, cat, .*\\): install them there`));
  });

  test('reports a host whose link is down as unreachable, within the connect timeout', async () => {
    const h = hosts.hosts[1]!;
    h.linkDown();
    try {
      const msg = await failure(sshHost(h, { connectTimeout: 3 }).connect(), 'unreachable');
      assert.match(msg, new RegExp(`^deployment "cloud": host ${h.address}:22 is unreachable \\((No route to host|Connection timed out)[^)]*; ConnectTimeout 3s\\): check the address, port and network, and that sshd runs there$`));
    } finally {
      h.linkUp();
    }
  });

  test('reports a host that was taken away (sshd and everything killed) as unreachable', async () => {
    const h = hosts.hosts[1]!;
    await h.kill();
    h.linkUp();
    const msg = await failure(sshHost(h, { connectTimeout: 3 }).connect(), 'unreachable');
    assert.match(msg, /is unreachable \(Connection refused; ConnectTimeout 3s\)/);
  });
});
