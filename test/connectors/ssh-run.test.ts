/**
 * Word count through `sealflow run` on two namespace hosts (one `ssh`
 * deployment each, platform sim, attested, encrypted): the hosts see neither
 * the master's state directory nor SEALFLOW_HOME, so inputs and outputs can
 * only travel over SSH (as ciphertext). The decrypted result is byte-identical
 * to the same run on local workers; the receipt names the hosts; a canary
 * in the input is nowhere on the hosts' disks afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { decryptOnlyOutput, simPolicies, wordCountCopy } from '../helpers/sim-master.js';
import { hostsMissing, startHosts, type Host, type Hosts } from '../helpers/hosts.js';
import { markScanStart, SCAN_FILES_FOR_P } from '../helpers/leak-scan.js';

const skip = hostsMissing();
const CANARY = `SFCANARY${randomBytes(8).toString('hex')}`;

describe('ssh connector: word count on two namespace hosts, end to end', { skip }, () => {
  let hosts: Hosts;
  let state: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let flow: string;
  let corpus: string;
  let localCounts: Buffer;

  const config = (policy: string) =>
    [
      'deployments:',
      ...hosts.hosts.map((h, i) => `  host${i}: { connector: ssh, platform: sim, workers: 2, host: ${h.address}, user: root, identityFile: ${h.identityFile}, knownHosts: ${h.knownHostsFile}, policy: ${policy} }`),
      'default: host0',
      'bindings:',
      // map, shuffle and reduce on the second host: its inputs come from the first.
      ...['map', 'shuffle', 'reduce'].map((s) => `  - { step: ${s}, deployment: host1 }`),
      '',
    ].join('\n');

  const run = (name: string, extra: readonly string[] = []) =>
    runCli(['run', flow, '--input', `corpus=${corpus}`, '--state-dir', path.join(state, `state-${name}`), '--out', path.join(state, `out-${name}`), ...extra], { env, cwd: state });

  const decrypt = (name: string) => decryptOnlyOutput(path.join(state, `out-${name}`), home, path.join(state, `${name}.tsv`), { env, cwd: state });

  before(async () => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-run-'));
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-run-home-'));
    hosts = await startHosts(2, { hide: [state, home] });
    await markScanStart(hosts.hosts);
    const tmp = path.join(state, 'tmp');
    fs.mkdirSync(tmp);
    env = { SEALFLOW_HOME: home, TMPDIR: tmp };
    flow = wordCountCopy(state);
    corpus = path.join(state, 'corpus.txt');
    fs.writeFileSync(corpus, `${fs.readFileSync(path.join(flow, 'data', 'sample.txt'), 'utf8')}\n${CANARY} ${CANARY}\n`);
    await simPolicies(home, state);
    // The reference: the same run on local sim workers.
    fs.writeFileSync(path.join(state, 'local.yaml'), 'deployments:\n  local: { connector: local, platform: sim, workers: 2 }\n');
    const r = await run('local', ['--config', path.join(state, 'local.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    localCounts = await decrypt('local');
  });
  after(async () => {
    await hosts?.stopAll();
    fs.rmSync(state, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('word count runs on two ssh hosts under sim, its decrypted counts equal the local run, the receipt names the hosts, and no canary is left on the hosts', async () => {
    fs.writeFileSync(path.join(state, 'ssh.yaml'), config(path.join(state, 'remote-sim.yaml')));
    const t0 = Date.now();
    const r = await run('ssh', ['--config', path.join(state, 'ssh.yaml')]);
    const ms = Date.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /platform sim is NOT a TEE/);
    assert.ok((await decrypt('ssh')).equals(localCounts), 'the decrypted counts equal the local run byte for byte');
    const { receipt } = JSON.parse(fs.readFileSync(path.join(state, 'out-ssh', 'receipt.json'), 'utf8')) as { receipt: { workers: { worker: string; host: string; connector: string }[] } };
    const hostsOf = new Set(receipt.workers.map((w) => `${w.connector} ${w.host}`));
    for (const h of hosts.hosts) assert.ok(hostsOf.has(`ssh ${h.name}`), `the receipt names ${h.name}: ${[...hostsOf].join(', ')}`);
    for (const h of hosts.hosts) await assertNoCanary(h);
    process.stderr.write(`# word count on 2 ssh hosts: ${ms} ms\n`);
  });

  test('without allowRemoteSimulation the run is refused before any step runs, naming the deployment', async () => {
    fs.writeFileSync(path.join(state, 'ssh-refused.yaml'), config(path.join(state, 'local-sim.yaml')));
    const r = await run('refused', ['--config', path.join(state, 'ssh-refused.yaml')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /deployment host[01] uses connector ssh; sim evidence is accepted only from local deployments, or under a policy with allowRemoteSimulation: true/);
    assert.doesNotMatch(r.stderr + r.stdout, /split started/);
  });

  test('an unknown host key is a one-line error naming the deployment and the host; nothing runs', async () => {
    const empty = path.join(state, 'known_hosts_empty');
    fs.writeFileSync(empty, '');
    fs.writeFileSync(path.join(state, 'ssh-unknown.yaml'), config(path.join(state, 'remote-sim.yaml')).replaceAll(hosts.knownHostsFile, empty));
    const r = await run('unknown', ['--config', path.join(state, 'ssh-unknown.yaml')]);
    assert.notEqual(r.code, 0);
    const line = r.stderr.split('\n').find((l) => /host key/i.test(l));
    assert.ok(line, r.stderr);
    assert.match(line, /deployment "host[01]"/);
    assert.ok(hosts.hosts.some((h) => line.includes(h.address)), line);
    assert.doesNotMatch(r.stderr + r.stdout, /split started/);
  });

  /** The canary is nowhere the host can write: its home, /tmp, /dev/shm (there: what changed during the test). */
  async function assertNoCanary(h: Host): Promise<void> {
    const found = await h.exec(`p=${CANARY}; ${SCAN_FILES_FOR_P}`, 60_000);
    assert.equal(found.trim(), '', `the canary is on ${h.name}: ${found}`);
    if (h.homeOnDisk) {
      const onDisk = fs.readdirSync(h.homeOnDisk, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
      for (const f of onDisk) assert.ok(!fs.readFileSync(f).includes(CANARY), `the canary is in ${f}`);
    }
  }
});
