/**
 * The slurm transport through another command runner: Slurm's client
 * commands run on a "login node" (a namespace host of test/helpers/hosts.ts,
 * reached with the system OpenSSH client) instead of locally — the shape of
 * `slurm` reached through an `ssh` deployment (issue 12). The runner here is
 * the smallest real one (ssh, argv quoted for the remote shell, standard
 * input passed through, an exact environment on the far side); the ssh
 * connector will bring its own. The transport itself is unchanged.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SlurmCluster, type CommandRunner } from '../../src/connectors/slurm/index.js';
import { startHosts, hostsMissing, type Host, type Hosts } from '../helpers/hosts.js';
import { startSlurm, slurmMissing, type SlurmCluster as TestCluster } from '../helpers/slurm-cluster.js';
import { storedJob, waitJobState } from '../helpers/slurm-jobs.js';
import { until } from '../helpers/wait.js';

const skip = slurmMissing() || hostsMissing();

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs Slurm's client commands on `host` over ssh with exactly PATH and SLURM_CONF, in /. */
function sshRunner(host: Host, slurmConf: string): CommandRunner {
  return (argv, o = {}) =>
    new Promise((resolve) => {
      const remote = `cd / && exec /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin SLURM_CONF=${shQuote(slurmConf)} ${argv.map(shQuote).join(' ')}`;
      const [ssh, ...args] = host.sshArgv([remote]);
      const child = execFile(ssh!, args, { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
        resolve({ code, stdout, stderr });
      });
      child.stdin?.on('error', () => {
        /* ssh exited without reading its input: its exit status says why */
      });
      child.stdin?.end(o.stdin ?? '');
    });
}

describe('the slurm transport through a login node reached over ssh', { skip }, () => {
  let cluster: TestCluster;
  let hosts: Hosts;
  let login: Host;

  before(async () => {
    cluster = await startSlurm();
    hosts = await startHosts(1);
    login = hosts.hosts[0]!;
  });

  after(async () => {
    await hosts?.stopAll();
    await cluster?.stop();
  });

  test('a job submitted from the login node runs on a node with exactly its environment, is watched and cancelled, and Slurm records the login node as where it came from', async () => {
    const canary = `CANARY${crypto.randomBytes(8).toString('hex')}`;
    process.env['SEALFLOW_SSH_CANARY'] = canary;
    after(() => delete process.env['SEALFLOW_SSH_CANARY']);
    const t = SlurmCluster.fromOptions('hpc-via-login', { partition: cluster.partition, nodelist: cluster.nodes[0]!.name }, { runner: sshRunner(login, cluster.conf) });
    assert.deepEqual(await t.check({ threads: 1 }), []);
    const out = path.join(cluster.dir, 'jobs');
    const job = await t.submit({ argv: ['/bin/sh', '-c', 'env > "$0"; exec /bin/sleep 3051', path.join(out, 'env.txt')], env: { SEALFLOW_MASTER: `${cluster.gateway}:7000` }, chdir: '/' });
    const running = await waitJobState(t, job.id, (s) => s.kind === 'running');
    assert.equal(running.kind === 'running' && running.node, cluster.nodes[0]!.name);
    const environment = fs.readFileSync(path.join(storedJob(cluster.stateDir, job.id), 'environment'), 'latin1');
    assert.ok(environment.includes(`SLURM_SUBMIT_HOST=${login.name}\0`), 'submitted from the login node');
    const envFile = path.join(out, 'env.txt');
    assert.ok(await until(() => fs.existsSync(envFile) && fs.readFileSync(envFile, 'utf8').endsWith('\n')), 'the job did not write its environment');
    await t.cancel(job.id);
    await waitJobState(t, job.id, (s) => s.kind === 'gone');
    const env = fs.readFileSync(envFile, 'utf8');
    // sh adds PWD (and may add SHLVL, _); nothing else.
    const names = env.trimEnd().split('\n').map((l) => l.split('=')[0]).filter((n) => !['PWD', 'SHLVL', '_'].includes(n!));
    assert.deepEqual(names, ['SEALFLOW_MASTER']);
    assert.ok(!env.includes(canary) && !environment.includes(canary));
  });

  test("sbatch's refusal comes back over ssh as the same one line", async () => {
    const t = SlurmCluster.fromOptions('hpc-via-login', { partition: 'nosuch' }, { runner: sshRunner(login, cluster.conf) });
    await assert.rejects(t.submit({ argv: ['/bin/true'], env: {}, chdir: '/' }), {
      message:
        'deployment "hpc-via-login" (slurm): sbatch refused the job for partition "nosuch": invalid partition specified: nosuch; Batch job submission failed: Invalid partition name specified — ' +
        "name an existing partition in the deployment's partition option ('sinfo -s' lists them).",
    });
  });
});
