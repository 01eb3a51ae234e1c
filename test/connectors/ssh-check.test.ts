/**
 * `sealflow check` against a real sshd on a namespace host: it connects,
 * reads the host's node version, looks for the steps' programs and hashes the
 * pinned ones there, says what the master's policy would refuse, and reports
 * an unknown host key and an unreachable host as one line each naming the
 * deployment and host — having run, uploaded and written nothing on the host.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { hostsMissing, startHosts, type Hosts } from '../helpers/hosts.js';

const skip = hostsMissing();

const FLOW = [
  'name: tools',
  'inputs: {}',
  'outputs:',
  '  lines: { type: file, from: count/lines }',
  'steps:',
  '  count:',
  '    command: [wc, -l]',
  '    stdout: lines.txt',
  '    out:',
  '      lines: { type: file, glob: lines.txt }',
  '  other:',
  '    command: [no-such-tool-sealflow]',
  '',
].join('\n');

describe('sealflow check on an ssh deployment (a namespace host with its own sshd)', { skip }, () => {
  let hosts: Hosts;
  let dir: string;
  let home: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-check-'));
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-check-home-'));
    hosts = await startHosts(1, { hide: [dir, home] });
    fs.writeFileSync(path.join(dir, 'flow.yaml'), FLOW);
    fs.writeFileSync(path.join(dir, 'ready.yaml'), FLOW.replace('no-such-tool-sealflow', 'cat'));
    fs.writeFileSync(path.join(dir, 'remote-sim.yaml'), 'allowSimulated: true\nallowRemoteSimulation: true\nsim:\n  measurements: []\n');
  });
  after(async () => {
    await hosts?.stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  });

  const deployment = (id: string, extra: string) => {
    const h = hosts.hosts[0]!;
    return `  ${id}: { connector: ssh, platform: sim, workers: 1, host: ${h.address}, user: root, identityFile: ${h.identityFile}, knownHosts: ${hosts.knownHostsFile}, connectTimeout: 3${extra} }`;
  };
  const check = (config: string, flow = 'flow.yaml') => {
    fs.writeFileSync(path.join(dir, 'sealflow.yaml'), config);
    return runCli(['check', path.join(dir, flow)], { env: { SEALFLOW_HOME: home }, cwd: dir });
  };

  test('a host with node and the steps\' programs, under a policy allowing remote simulation, is ready: exit 0, its node version shown, nothing created on it', async () => {
    const r = await check(`deployments:\n${deployment('remote', `, policy: ${path.join(dir, 'remote-sim.yaml')}`)}\n`, 'ready.yaml');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok +remote \(ssh, sim; 2 steps\)$/m, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`host ${hosts.hosts[0]!.address.replaceAll('.', '\\.')}: node v\\d+\\.\\d+\\.\\d+`));
    assert.match(r.stdout, /\.sealflow-worker writable/);
    const base = hosts.hosts[0]!.homeOnDisk;
    if (base !== undefined) assert.ok(!fs.existsSync(path.join(base, '.sealflow-worker')), 'check created no worker directory on the host');
  });

  test('a missing program, a pin that does not match and a policy that would refuse sim workers are one line each naming the deployment and host; exit 1', async () => {
    const h = hosts.hosts[0]!;
    const r = await check(`deployments:\n${deployment('remote', '')}\npath: /usr/bin:/bin\ntools:\n  wc: { sha256: ${'0'.repeat(64)} }\n`);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l.includes('✗'));
    assert.equal(lines.length, 3, r.stdout);
    assert.ok(lines.every((l) => l.includes('deployment "remote"')), r.stdout);
    assert.ok(lines.some((l) => l.includes('allowRemoteSimulation: true') && l.includes('simulated-not-local')), r.stdout);
    assert.ok(lines.some((l) => l.includes(`host ${h.address}: no-such-tool-sealflow not found on the steps' PATH`)), r.stdout);
    assert.ok(lines.some((l) => l.includes(`host ${h.address}: tool wc at /usr/bin/wc has SHA-256`) && l.includes(`pins ${'0'.repeat(64)}`)), r.stdout);
  });

  test('an unknown host key and an unreachable host are one line each naming the deployment and host, checked side by side; exit 1', async () => {
    const empty = path.join(dir, 'known_hosts_empty');
    fs.writeFileSync(empty, '');
    const nowhere = hosts.hosts[0]!.address.replace(/\.\d+$/, '.250');
    const config = [
      'deployments:',
      deployment('stranger', '').replace(hosts.knownHostsFile, empty),
      deployment('gone', '').replace(`host: ${hosts.hosts[0]!.address}`, `host: ${nowhere}`),
      'default: stranger',
      '',
    ].join('\n');
    const r = await check(config);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l.includes('✗'));
    const stranger = lines.find((l) => l.includes('deployment "stranger"') && /host key is not in/.test(l));
    assert.ok(stranger, r.stdout);
    assert.ok(stranger.includes(hosts.hosts[0]!.address), stranger);
    const gone = lines.find((l) => l.includes('deployment "gone"') && /unreachable/.test(l));
    assert.ok(gone, r.stdout);
    assert.ok(gone.includes(nowhere), gone);
    assert.equal(fs.readFileSync(empty, 'utf8'), '', 'check accepted no host key');
  });
});
