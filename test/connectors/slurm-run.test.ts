/**
 * Word count through `sealflow run` on a real two-node Slurm cluster (one
 * `slurm` deployment, platform sim, attested, encrypted): the nodes see
 * neither the master's state directory, SEALFLOW_HOME nor its TMPDIR, only
 * the shared workDir, so every file reaches them as ciphertext the connector
 * staged there. The decrypted counts equal the local run's byte for byte;
 * the receipt names each worker's job and node and which worker ran each
 * step; a canary in the input is nowhere in Slurm's state directory, the
 * nodes' spool, the shared workDir or the worker logs; no job of the run
 * survives in squeue after the run ends, fails, is interrupted, or has a
 * worker's job cancelled under it (the fault loop: SEALFLOW_FAULT_ITERATIONS,
 * default 2).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { runCli } from '../helpers/cli.js';
import { startSlurm, slurmMissing, type SlurmCluster } from '../helpers/slurm-cluster.js';
import { filesContaining } from '../helpers/files.js';
import { jobsLeft } from '../helpers/slurm-jobs.js';
import { journalOf, makeMaster, receiptOf, slurmWorkersOf, type Master } from './slurm-harness.js';

const skip = slurmMissing();
const ITERATIONS = Math.max(1, Number(process.env['SEALFLOW_FAULT_ITERATIONS'] ?? 2) || 2);

describe('slurm connector: word count on a two-node cluster, end to end', { skip }, () => {
  let m: Master;
  let cluster: SlurmCluster;
  let localCounts: Buffer;

  const config = (o: { policy?: string; workers?: number; partition?: string } = {}) =>
    m.writeConfig(
      `slurm-${Math.random().toString(36).slice(2, 8)}`,
      `deployments:\n  hpc: { connector: slurm, platform: sim, workers: ${o.workers ?? 2}, partition: ${o.partition ?? cluster.partition}, timeLimit: "10:00", slurmConf: ${cluster.conf}, workDir: ${m.workDir}, masterAddress: ${cluster.gateway}, policy: ${o.policy ?? m.remoteSim} }\n`,
    );

  before(async () => {
    m = await makeMaster('sf-slurm-run');
    cluster = await startSlurm({ hide: [m.state, m.home] });
    const r = await m.run('local', m.writeConfig('local', 'deployments:\n  local: { connector: local, platform: sim, workers: 2 }\n'));
    assert.equal(r.code, 0, r.stderr);
    localCounts = await m.decrypt('local');
  });
  after(async () => {
    await cluster?.stop();
    m?.remove();
  });

  test('word count runs as Slurm jobs under sim, its decrypted counts equal the local run, the receipt names jobs, nodes and the worker of each step, and the canary is nowhere Slurm or the nodes keep', async () => {
    const t0 = Date.now();
    const r = await m.run('slurm', config());
    const ms = Date.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /platform sim is NOT a TEE/);
    assert.ok((await m.decrypt('slurm')).equals(localCounts), 'the decrypted counts equal the local run byte for byte');
    const receipt = receiptOf(m, 'slurm');
    const slurmWorkers = slurmWorkersOf(m, 'slurm', cluster, 2);
    for (const w of slurmWorkers) assert.match(w.statement, /not a TEE/);
    const byId = new Set(slurmWorkers.map((w) => w.id));
    assert.equal(receipt.steps?.length, 16, 'the receipt names the worker of every step instance');
    for (const s of receipt.steps ?? []) assert.ok(byId.has(s.worker), `${s.step}[${s.index}] ran on ${s.worker}`);
    // The journal has each job, waiting first.
    const jobs = journalOf(m, 'slurm').filter((e) => e['type'] === 'worker-job');
    assert.ok(jobs.some((j) => j['state'] === 'waiting') && jobs.some((j) => j['state'] === 'running' && cluster.nodes.some((n) => n.name === j['node'])), JSON.stringify(jobs));
    assert.ok(jobs.every((j) => j['connector'] === 'slurm' && j['deployment'] === 'hpc'));
    assert.equal(await jobsLeft(cluster), '', 'no job of the run is left in squeue');
    assert.deepEqual(filesContaining([cluster.stateDir, cluster.spoolDir, m.workDir], m.canary), []);
    assert.ok(!(r.stderr + r.stdout).includes(m.canary), 'the canary is not in the worker logs');
    assert.deepEqual(fs.readdirSync(m.workDir), [], 'the run directory on the shared workDir is removed');
    process.stderr.write(`# word count as Slurm jobs: ${ms} ms\n`);
  });

  test('sbatch refusing the job (a partition that does not exist) is a one-line error naming the deployment, the partition and what to do; no step runs and no job is left', async () => {
    const r = await m.run('refused', config({ partition: 'nosuch' }));
    assert.notEqual(r.code, 0);
    const line = r.stderr.split('\n').find((l) => /sbatch refused/.test(l));
    assert.ok(line, r.stderr);
    assert.match(line, /deployment "hpc" \(slurm\): sbatch refused the job for partition "nosuch": .*name an existing partition/);
    assert.doesNotMatch(r.stderr + r.stdout, /split started/);
    assert.equal(await jobsLeft(cluster), '');
  });

  test('without allowRemoteSimulation the run is refused before any step runs, naming the deployment, and its jobs are cancelled', async () => {
    const r = await m.run('no-remote-sim', config({ policy: m.localSim }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /deployment hpc uses connector slurm; sim evidence is accepted only from local deployments, or under a policy with allowRemoteSimulation: true/);
    assert.doesNotMatch(r.stderr + r.stdout, /split started/);
    assert.equal(await jobsLeft(cluster), '');
  });

  test('sealflow check asks sinfo and looks at workDir, submits no job: ready on the cluster\'s partition; a missing partition and a missing workDir are one line each naming the deployment', async () => {
    const check = (config: string) => runCli(['check', m.flow, '--config', config], { env: m.env, cwd: m.state });
    const ok = await check(config());
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^ok +hpc \(slurm, sim; \d+ steps\)$/m);
    assert.match(ok.stdout, /is up and fits the steps placed here/);
    assert.match(ok.stdout, /not looked at \(that would take a job\)/);
    const badConfig = config({ partition: 'nosuch' });
    fs.writeFileSync(badConfig, fs.readFileSync(badConfig, 'utf8').replace(m.workDir, `${m.workDir}-absent`));
    const bad = await check(badConfig);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    const lines = bad.stdout.split('\n').filter((l) => l.includes('✗'));
    assert.equal(lines.length, 2, bad.stdout);
    assert.ok(lines.every((l) => l.includes('deployment') && l.includes('hpc')), bad.stdout);
    assert.ok(lines.some((l) => /partition "nosuch" does not exist/.test(l)), bad.stdout);
    assert.ok(lines.some((l) => /workDir .*-absent does not exist on this machine/.test(l)), bad.stdout);
    assert.equal(await jobsLeft(cluster), '', 'check submitted no job');
  });

  test('an interrupted run (SIGINT) cancels every job it submitted', async () => {
    const live = m.start('sigint', config());
    await live.next((e) => e.type === 'worker-job' && e.state === 'running');
    live.child.kill('SIGINT');
    const end = await live.done;
    assert.notEqual(end.code, 0, end.stderr);
    assert.equal(await jobsLeft(cluster), '', 'no job of the interrupted run is left in squeue');
    assert.ok(!end.stderr.includes(m.canary));
  });

  test(`a worker's job cancelled mid-run (scancel) is noticed, re-provisioned through the connector, and the run completes byte-identical (${ITERATIONS} iterations)`, async () => {
    const notice: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const name = `scancel-${i}`;
      const live = m.start(name, config({ workers: 1 }));
      const started = await live.next((e) => e.type === 'step-started');
      const job = live.events.find((e) => e.type === 'worker-started' && e.worker === started['worker'])?.['job'];
      assert.match(String(job), /^[0-9]+$/);
      const t0 = Date.now();
      await cluster.cmd('scancel', [String(job)]);
      const lost = await live.next((e) => e.type === 'worker-lost' && e.worker === started['worker']);
      notice.push(Number(lost['t']) - t0);
      const end = await live.done;
      assert.equal(end.code, 0, end.stderr);
      assert.ok((await m.decrypt(name)).equals(localCounts), `iteration ${i}: byte-identical to the local run`);
      const submitted = new Set(live.events.filter((e) => e.type === 'worker-job').map((e) => e['job']));
      assert.ok(submitted.size >= 2, `iteration ${i}: a replacement job was submitted`);
      assert.equal(await jobsLeft(cluster), '');
    }
    process.stderr.write(`# scancel noticed after ${notice.join(', ')} ms (${ITERATIONS} iterations)\n`);
  });
});
