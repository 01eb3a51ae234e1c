/**
 * Word count through a Slurm cluster reached only through a login node
 * (`login:`): the master is no submit host and shares no storage with the
 * nodes. The login "host" is a namespace host of test/helpers/hosts.ts with
 * its own sshd; it runs the cluster's client commands and sees the nodes'
 * shared workDir, but neither it nor the nodes see the master's state
 * directory, SEALFLOW_HOME or TMPDIR (covered in their mount namespaces), so
 * every file reaches them over ssh. The nodes dial the master's ports on the
 * login node's address (relayed there over the same connection), so a run
 * whose connection to the login node is lost ends, saying so.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { pidsWithCmdline } from '../helpers/processes.js';
import { startHosts, hostsMissing, type Host, type Hosts } from '../helpers/hosts.js';
import { startSlurm, slurmMissing, type SlurmCluster } from '../helpers/slurm-cluster.js';
import { filesContaining } from '../helpers/files.js';
import { jobsLeft } from '../helpers/slurm-jobs.js';
import { makeMaster, slurmWorkersOf, type Master } from './slurm-harness.js';

const skip = slurmMissing() || hostsMissing();

describe('slurm connector through a login node over ssh, end to end', { skip }, () => {
  let m: Master;
  let cluster: SlurmCluster;
  let hosts: Hosts;
  let login: Host;
  /** The cluster's slurm.conf where only the login node has it (its private home): a Slurm command run on this machine would fail. */
  let slurmConf: string;

  const config = (o: { port?: number; workDir?: string } = {}) =>
    m.writeConfig(
      `login-${Math.random().toString(36).slice(2, 8)}`,
      `deployments:\n  hpc:\n    connector: slurm\n    platform: sim\n    workers: 2\n    partition: ${cluster.partition}\n    timeLimit: "10:00"\n    slurmConf: ${slurmConf}\n    workDir: ${o.workDir ?? m.workDir}\n    policy: ${m.remoteSim}\n` +
        `    login: { host: ${login.address}, port: ${o.port ?? login.port}, user: root, identityFile: ${hosts.identityFile}, knownHosts: ${hosts.knownHostsFile}, nodePath: ${process.execPath}, connectTimeout: 5 }\n`,
    );

  before(async () => {
    // A short prefix: ssh's control socket lives under the master's TMPDIR (a Unix socket path has ~104 bytes).
    m = await makeMaster('sfl');
    cluster = await startSlurm({ hide: [m.state, m.home] });
    hosts = await startHosts(1, { hide: [m.state, m.home] });
    login = hosts.hosts[0]!;
    slurmConf = cluster.conf;
    if (login.homeOnDisk !== undefined) {
      fs.copyFileSync(cluster.conf, path.join(login.homeOnDisk, 'slurm.conf'));
      slurmConf = path.posix.join(login.home, 'slurm.conf');
      assert.ok(!fs.existsSync(slurmConf), `${slurmConf} must not exist on this machine`);
    } else process.stderr.write('# the login host shares this machine\'s home: Slurm commands are not proven to run on the login node\n');
  });
  after(async () => {
    await hosts?.stopAll();
    await cluster?.stop();
    m?.remove();
  });

  test('word count submitted through the login node equals the local run byte for byte, runs on the nodes, leaves no job, and the canary is nowhere in Slurm\'s state, the workDir or the login node\'s home', async () => {
    const local = await m.run('local', m.writeConfig('local', 'deployments:\n  local: { connector: local, platform: sim, workers: 2 }\n'));
    assert.equal(local.code, 0, local.stderr);
    const localCounts = await m.decrypt('local');
    const t0 = Date.now();
    const r = await m.run('login', config());
    const ms = Date.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /platform sim is NOT a TEE/);
    assert.ok((await m.decrypt('login')).equals(localCounts), 'the decrypted counts equal the local run byte for byte');
    slurmWorkersOf(m, 'login', cluster, 2);
    assert.equal(await jobsLeft(cluster), '', 'no job of the run is left');
    assert.deepEqual(fs.readdirSync(m.workDir), [], "the run's directory on the login node's workDir is removed");
    const scanned = [cluster.stateDir, cluster.spoolDir, m.workDir, ...(login.homeOnDisk ? [login.homeOnDisk] : [])];
    assert.deepEqual(filesContaining(scanned, m.canary), []);
    assert.ok(!(r.stderr + r.stdout).includes(m.canary), 'the canary is not in the worker logs');
    process.stderr.write(`# word count through the login node: ${ms} ms\n`);
  });

  test('an unreachable login node is one line naming the deployment and the host, before any step runs, and no job is submitted', async () => {
    const r = await m.run('unreachable', config({ port: 1 }));
    assert.notEqual(r.code, 0);
    const lines = r.stderr.split('\n').filter((l) => l.includes(`${login.address}:1`));
    assert.ok(lines.length >= 1, r.stderr);
    assert.match(lines[0]!, /deployment "hpc"/);
    assert.doesNotMatch(r.stderr + r.stdout, /split started/);
    assert.equal(await jobsLeft(cluster), '');
  });

  test('a connection to the login node lost mid-run ends the run with the reason naming the deployment and the login node, and leaves no job', async () => {
    const live = m.start('lost', config());
    await live.next((e) => e.type === 'step-started');
    // The run's ssh control master to the login node (its control socket is under the run's TMPDIR): killed, as a lost connection ends it.
    const masters = pidsWithCmdline('ControlMaster=yes').filter((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`ControlPath=${path.join(m.state, 'tmp')}/`));
    assert.equal(masters.length, 1, `one control master: ${masters.join(', ')}`);
    process.kill(masters[0]!, 'SIGKILL');
    const end = await live.done;
    assert.equal(end.code, 1, end.stderr);
    const said = `${end.stderr}\n${JSON.stringify(live.events)}`;
    assert.match(said, new RegExp(`deployment \\\\?"hpc\\\\?" \\(slurm\\): the connection to login node ${login.address.replace(/\./g, '\\.')}:${login.port} was lost during the run`), said.slice(-3000));
    assert.equal(await jobsLeft(cluster), '', 'no job of the run is left');
  });

  test('sealflow check goes through the login node: sinfo and workDir asked there; a workDir missing on the login node is one line naming the deployment', async () => {
    const check = (c: string) => runCli(['check', m.flow, '--config', c], { env: m.env, cwd: m.state });
    const ok = await check(config());
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^ok +hpc \(slurm, sim; \d+ steps\)$/m);
    assert.match(ok.stdout, new RegExp(`is up and fits the steps placed here \\(asked on login node ${login.address.replace(/\./g, '\\.')}`));
    const bad = await check(config({ workDir: `${m.workDir}-absent` }));
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    const lines = bad.stdout.split('\n').filter((l) => l.includes('✗'));
    assert.equal(lines.length, 1, bad.stdout);
    assert.match(lines[0]!, /hpc.*workDir .*-absent does not exist on login node/);
    assert.equal(await jobsLeft(cluster), '', 'check submitted no job');
  });
});
