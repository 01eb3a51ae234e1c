/**
 * What Slurm keeps of a sealflow job holds nothing of the caller's: a canary
 * planted in the submitting process's environment (as a value and in a
 * variable's name) and in its working directory's name appears nowhere in
 * Slurm's state directory (each job's stored `script` and `environment`), in
 * the nodes' spool directories, or in the job's -o/-e files — while the job
 * runs and after it is cancelled. A control submission without
 * `--export=NONE` shows the scan finds the canary where Slurm does store it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SlurmCluster } from '../../src/connectors/slurm/index.js';
import { startSlurm, slurmMissing, type SlurmCluster as TestCluster } from '../helpers/slurm-cluster.js';
import { filesContaining } from '../helpers/files.js';
import { storedJob, waitJobState } from '../helpers/slurm-jobs.js';
import { until } from '../helpers/wait.js';

const skip = slurmMissing();

describe('what Slurm stores of a sealflow job', { skip }, () => {
  const canary = `CANARY${crypto.randomBytes(12).toString('hex')}`;
  let cluster: TestCluster;
  let project: string;
  let cwd: string;

  before(async () => {
    cluster = await startSlurm();
    // Planted after the daemons started: only the submitting process carries it.
    process.env['SEALFLOW_SECRET_TOKEN'] = canary;
    process.env[`X_${canary}`] = '1';
    cwd = process.cwd();
    project = fs.mkdtempSync(path.join(os.tmpdir(), `${canary}-project-`));
    process.chdir(project);
  });

  after(async () => {
    process.chdir(cwd);
    delete process.env['SEALFLOW_SECRET_TOKEN'];
    delete process.env[`X_${canary}`];
    fs.rmSync(project, { recursive: true, force: true });
    await cluster?.stop();
  });

  test('the canary is nowhere in the stored script and environment, the spool, or the -o/-e files, while the job runs and after it is cancelled', async () => {
    const t = SlurmCluster.fromOptions('hpc', { partition: cluster.partition, slurmConf: cluster.conf });
    const out = path.join(cluster.dir, 'jobs');
    const job = await t.submit({
      argv: ['/bin/sh', '-c', 'env; echo started >&2; exec /bin/sleep 3042'],
      env: { SEALFLOW_MASTER: `${cluster.gateway}:7000`, SEALFLOW_TICKET: 'not-a-secret-ticket' },
      chdir: '/',
      outputDir: out,
    });
    await waitJobState(t, job.id, (s) => s.kind === 'running');
    assert.ok(await until(() => fs.existsSync(job.stderr) && fs.readFileSync(job.stderr, 'utf8') === 'started\n'), 'the job did not start');
    const dir = storedJob(cluster.stateDir, job.id);
    // The scan covers this job's stored copy: its script holds the job name and the explicit variables.
    const script = fs.readFileSync(path.join(dir, 'script'), 'utf8');
    assert.ok(script.includes(job.name) && script.includes('not-a-secret-ticket'));
    const environment = fs.readFileSync(path.join(dir, 'environment'), 'latin1');
    assert.ok(environment.includes('SLURM_SUBMIT_DIR=/\0'), 'sbatch ran in /, not in the caller\'s directory');
    const scanned = [cluster.stateDir, cluster.spoolDir, job.stdout, job.stderr];
    assert.deepEqual(filesContaining(scanned, canary), []);
    assert.match(fs.readFileSync(job.stdout, 'utf8'), /^SEALFLOW_MASTER=/m);

    await t.cancel(job.id);
    await waitJobState(t, job.id, (s) => s.kind === 'gone');
    // slurmctld saves its job records (job_state) periodically: scan once they hold this job.
    assert.ok(await until(() => filesContaining([cluster.stateDir], job.name).includes(path.join(cluster.stateDir, 'job_state'))), "job_state never held the job");
    assert.deepEqual(filesContaining(scanned, canary), []);
  });
  test("a plain sbatch without --export=NONE stores the caller's environment and directory there (the scan finds a canary where one is; runs last, as it plants one)", async () => {
    const id = await new Promise<string>((resolve, reject) =>
      execFile('sbatch', ['--parsable', '-o', '/dev/null', '--wrap', 'exec /bin/sleep 3041'], { env: { ...process.env, SLURM_CONF: cluster.conf } }, (err, stdout, stderr) =>
        err ? reject(new Error(stderr)) : resolve(stdout.trim()),
      ),
    );
    const env = path.join(storedJob(cluster.stateDir, id), 'environment');
    assert.ok(await until(() => fs.existsSync(env)), `${env} not written`);
    // The stored environment, and the job record (job_state) with the submit directory.
    assert.ok(await until(() => filesContaining([cluster.stateDir], canary).includes(path.join(cluster.stateDir, 'job_state'))), 'job_state without the canary');
    assert.ok(filesContaining([cluster.stateDir], canary).includes(env));
    await cluster.cmd('scancel', [id]);
  });

});
