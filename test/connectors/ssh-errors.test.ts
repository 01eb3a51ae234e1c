/**
 * What `sealflow run` says when an ssh deployment cannot start its workers
 * (docs/connectors/ssh.md, "Errors"): an unreachable host, a refused key, an
 * unknown and a changed host key, a missing and a too old `node`, a remote
 * disk that cannot be written. Each is one line naming the deployment, the
 * host and what to do; the run exits non-zero before any step runs, and
 * leaves no run directory on the host.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { hostsMissing, startHosts, type Host, type Hosts } from '../helpers/hosts.js';
import { simPolicies, wordCountCopy } from '../helpers/sim-master.js';

const skip = hostsMissing();

/** The run's error lines about the deployment (the progress display's "run failed: …" repeats the same line). */
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('sealflow: ') && l.includes('deployment "cloud"'));

describe('ssh connector: errors before any step runs, through sealflow run', { skip }, () => {
  let hosts: Hosts;
  let h: Host;
  let state: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let flow: string;
  let corpus: string;
  let policy: string;

  before(async () => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-err-'));
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-err-home-'));
    hosts = await startHosts(1, { hide: [state, home] });
    h = hosts.hosts[0]!;
    fs.mkdirSync(path.join(state, 'tmp'));
    env = { SEALFLOW_HOME: home, TMPDIR: path.join(state, 'tmp') };
    flow = wordCountCopy(state);
    corpus = path.join(flow, 'data', 'sample.txt');
    policy = (await simPolicies(home, state)).remoteSim;
    // On the host only (its own mount namespace): a read-only directory, and a "node" that is too old.
    await h.exec('mkdir -p /srv/sf-ro && mount -t tmpfs -o ro,size=1m sf-ro /srv/sf-ro');
    await h.exec(`printf '#!/bin/sh\\necho v18.19.1\\n' > ~/old-node && chmod 755 ~/old-node`);
  });
  after(async () => {
    await hosts?.stopAll();
    for (const d of [state, home]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  /** Runs word count on one ssh deployment `cloud` with these options over the defaults; returns the error line. */
  async function failing(name: string, options: Record<string, unknown>): Promise<string> {
    const o: Record<string, unknown> = { host: h.address, user: 'root', identityFile: hosts.identityFile, knownHosts: hosts.knownHostsFile, policy, connectTimeout: 2, ...options };
    const yaml = `deployments:\n  cloud: { connector: ssh, platform: sim, workers: 1, ${Object.entries(o).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')} }\n`;
    const config = path.join(state, `${name}.yaml`);
    fs.writeFileSync(config, yaml);
    const r = await runCli(['run', flow, '--config', config, '--input', `corpus=${corpus}`, '--state-dir', path.join(state, `state-${name}`), '--out', path.join(state, `out-${name}`)], { env, cwd: state });
    assert.notEqual(r.code, 0, `${name}: the run fails`);
    assert.doesNotMatch(r.stderr + r.stdout, /split started|step-started/, `${name}: no step ran`);
    const lines = errorLines(r.stderr);
    assert.equal(lines.length, 1, `${name}: one error line names the deployment:\n${r.stderr}`);
    const line = lines[0]!;
    assert.ok(line.includes(`host ${h.address}:22`), `${name}: the line names the host: ${line}`);
    assert.equal((await h.exec('ls -A ~/.sealflow-worker 2>/dev/null || true')).trim(), '', `${name}: no run directory is left on the host`);
    return line;
  }

  test('an unreachable host: says so, with the connect timeout, and what to check', async () => {
    const dead = `${hosts.subnet}.250`;
    const config = path.join(state, 'unreachable.yaml');
    fs.writeFileSync(config, `deployments:\n  cloud: { connector: ssh, platform: sim, workers: 1, host: ${dead}, user: root, identityFile: ${hosts.identityFile}, knownHosts: ${hosts.knownHostsFile}, policy: ${policy}, connectTimeout: 1 }\n`);
    const r = await runCli(['run', flow, '--config', config, '--input', `corpus=${corpus}`, '--state-dir', path.join(state, 'state-unreachable')], { env, cwd: state });
    assert.notEqual(r.code, 0);
    const lines = errorLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`host ${dead.replace(/\./g, '\\.')}:22 is unreachable .*check the address, port and network, and that sshd runs there`));
    assert.doesNotMatch(r.stderr, /split started/);
  });

  test('a key the host refuses: says authentication was refused and to check identityFile and authorized_keys', async () => {
    const key = path.join(state, 'other_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    assert.match(await failing('auth', { identityFile: key }), /refused authentication for user root .*check identityFile or the SSH agent, and that the public key is in that user's authorized_keys/);
  });

  test('an unknown host key: says the key is not in known_hosts, that nothing was sent, and how to add it', async () => {
    const empty = path.join(state, 'known_hosts_empty');
    fs.writeFileSync(empty, '');
    assert.match(await failing('unknown', { knownHosts: empty }), /its host key is not in .*known_hosts_empty; nothing was sent\. .*add the host to that file, or set acceptNewHostKey: true/);
  });

  test('a changed host key: says the key CHANGED and names the known_hosts line to check', async () => {
    const other = path.join(state, 'other_host_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const changed = path.join(state, 'known_hosts_changed');
    fs.writeFileSync(changed, `${h.address} ${fs.readFileSync(`${other}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')}\n`);
    assert.match(await failing('changed', { knownHosts: changed }), /CHANGED.*known_hosts_changed:1/);
  });

  test('no node at nodePath: says to install Node.js 20 or later or to set nodePath', async () => {
    assert.match(await failing('no-node', { nodePath: '/opt/nonexistent/node' }), /no runnable node at "\/opt\/nonexistent\/node".*install Node\.js 20 or later there, or set nodePath/);
  });

  test('a node older than 20: names its version and what to do', async () => {
    assert.match(await failing('old-node', { nodePath: `${h.home}/old-node` }), /v18\.19\.1.*20/);
  });

  test('a remote disk that cannot be written: names the directory and says to make it writable or set baseDir', async () => {
    assert.match(await failing('read-only', { baseDir: '/srv/sf-ro/sealflow' }), /\/srv\/sf-ro\/sealflow.*make that directory writable there .*or set baseDir to a writable directory/);
  });
});
