/**
 * The slurm transport (src/connectors/slurm/) against a real two-node Slurm
 * cluster (test/helpers/slurm-cluster.ts): jobs run where the deployment
 * says, under exactly the environment given, with an opaque name; cancel
 * ends a job and its processes on the node; a full cluster shows jobs as
 * pending with Slurm's reason; sbatch's refusals are one line with what to do.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SlurmCluster, SlurmRefusal, type JobState } from '../../src/connectors/slurm/index.js';
import { netnsPids } from '../helpers/netns.js';
import { startSlurm, slurmMissing, type SlurmCluster as TestCluster } from '../helpers/slurm-cluster.js';
import { PATIENCE_MS, sleep, until } from '../helpers/wait.js';

const skip = slurmMissing();

/** Watches jobs (short poll interval) until `want` holds for each; resolves with the states that satisfied it. */
async function waitFor(c: SlurmCluster, ids: readonly string[], want: (s: JobState) => boolean, what: string): Promise<Map<string, JobState>> {
  const got = new Map<string, JobState>();
  const seen: string[] = [];
  let done!: () => void;
  const reached = new Promise<void>((r) => (done = r));
  const w = c.watch(ids, (id, st) => {
    seen.push(`${id}:${JSON.stringify(st)}`);
    if (want(st)) got.set(id, st);
    if (got.size === ids.length) done();
  }, { intervalMs: 100, maxIntervalMs: 500 });
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), PATIENCE_MS).unref());
  const outcome = await Promise.race([reached, w.done, timer]);
  w.stop();
  assert.equal(got.size, ids.length, `${what}: ${outcome === 'timeout' ? `not within ${PATIENCE_MS} ms` : 'not reached'}; seen ${seen.join(', ')}`);
  return got;
}

/** PIDs in node `netns` whose command line is exactly `argv`. */
function pidsOf(netns: string, argv: readonly string[]): number[] {
  return netnsPids(netns).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8') === `${argv.join('\0')}\0`;
    } catch {
      return false;
    }
  });
}

describe('slurm transport on a two-node cluster', { skip }, () => {
  let cluster: TestCluster;
  let out: string;
  const transports: SlurmCluster[] = [];
  const slurm = (options: Record<string, unknown> = {}) => {
    const t = SlurmCluster.fromOptions('hpc', { partition: cluster.partition, slurmConf: cluster.conf, ...options });
    transports.push(t);
    return t;
  };

  before(async () => {
    cluster = await startSlurm();
    out = path.join(cluster.dir, 'jobs');
  });

  after(async () => {
    for (const t of transports) await t.cancelAll().catch(() => undefined);
    await cluster?.stop();
  });

  test("a job runs on each of the two nodes, chosen by the deployment's nodelist, under an opaque name", async () => {
    for (const node of cluster.nodes) {
      const t = slurm({ nodelist: node.name });
      const job = await t.submit({ argv: ['/bin/hostname'], env: {}, chdir: '/', outputDir: out });
      assert.match(job.name, /^sealflow-[0-9a-f]{32}$/);
      // Slurm's own record of the name, while it still lists the job.
      assert.equal((await cluster.cmd('squeue', ['-h', '--states=all', '-j', job.id, '-o', '%j'])).trim(), job.name);
      assert.deepEqual(t.jobs(), [job.id]);
      await waitFor(t, [job.id], (s) => s.kind === 'gone', `job ${job.id} on ${node.name} ends`);
      assert.deepEqual(t.jobs(), [], 'a job seen gone is no longer listed');
      assert.equal(fs.readFileSync(job.stdout, 'utf8'), `${node.name}\n`);
      assert.equal(path.basename(job.stdout), `${job.name}.out`);
    }
  });

  test("the worker's environment is exactly the list given, none of the caller's nor Slurm's variables", async () => {
    process.env['SEALFLOW_CALLER_ONLY'] = 'caller-value';
    after(() => delete process.env['SEALFLOW_CALLER_ONLY']);
    const t = slurm();
    const env = { SEALFLOW_MASTER: `${cluster.gateway}:7000`, SEALFLOW_TICKET: 'ticket-1', QUOTED: "it's a 'value' with spaces" };
    const job = await t.submit({ argv: ['/usr/bin/env'], env, chdir: '/', outputDir: out });
    await waitFor(t, [job.id], (s) => s.kind === 'gone', `job ${job.id} ends`);
    const lines = fs.readFileSync(job.stdout, 'utf8').trimEnd().split('\n').sort();
    assert.deepEqual(lines, Object.entries(env).map(([k, v]) => `${k}=${v}`).sort());
    assert.equal(fs.readFileSync(job.stderr, 'utf8'), '');
  });

  test('cancel ends a running job and its processes, as seen on the node', async () => {
    const node = cluster.nodes[1]!;
    const t = slurm({ nodelist: node.name });
    const argv = ['/bin/sleep', '3021'];
    const job = await t.submit({ argv, env: {}, chdir: '/' });
    const running = await waitFor(t, [job.id], (s) => s.kind === 'running', `job ${job.id} running`);
    // CONFIGURING (the node is being prepared) counts as running too: the job holds its node.
    assert.deepEqual({ ...running.get(job.id), slurmState: undefined }, { kind: 'running', node: node.name, slurmState: undefined });
    assert.ok(await until(() => pidsOf(node.netns, argv).length === 1), `the job's process in ${node.name}`);
    await t.cancel(job.id);
    assert.deepEqual(t.jobs(), []);
    await waitFor(t, [job.id], (s) => s.kind === 'gone', `job ${job.id} gone after scancel`);
    assert.ok(await until(() => pidsOf(node.netns, argv).length === 0), `the job's process still runs in ${node.name}`);
    // Slurm records the cancellation once the node has reported the job's end (COMPLETING until then).
    let record = '';
    const end = Date.now() + PATIENCE_MS;
    while (!/JobState=CANCELLED/.test((record = await cluster.cmd('scontrol', ['show', 'job', job.id]))) && Date.now() < end) await sleep(100);
    assert.match(record, /JobState=CANCELLED/);
  });

  test("a job waits as pending with Slurm's reason while every core is taken, and cancelAll ends them all", async () => {
    const t = slurm();
    const cores = os.cpus().length; // startSlurm's nodes declare this machine's CPU count
    const fill = await Promise.all(cluster.nodes.map(() => t.submit({ argv: ['/bin/sleep', '3022'], env: {}, chdir: '/', threads: cores })));
    await waitFor(t, fill.map((j) => j.id), (s) => s.kind === 'running', 'both nodes busy');
    const waiting = await t.submit({ argv: ['/bin/sleep', '3023'], env: {}, chdir: '/', threads: 1 });
    const pending = await waitFor(t, [waiting.id], (s) => s.kind === 'pending' && s.reason === 'Resources', `job ${waiting.id} pending for resources`);
    assert.deepEqual(pending.get(waiting.id), { kind: 'pending', reason: 'Resources', slurmState: 'PENDING' });
    assert.equal(t.jobs().length, 3);
    await t.cancelAll();
    assert.deepEqual(t.jobs(), []);
    await waitFor(t, [...fill.map((j) => j.id), waiting.id], (s) => s.kind === 'gone', 'every job gone after cancelAll');
    for (const n of cluster.nodes) assert.ok(await until(() => pidsOf(n.netns, ['/bin/sleep', '3022']).length === 0), `a job process still runs in ${n.name}`);
  });

  test("a time limit beyond the partition's leaves the job pending for PartitionTimeLimit, which stuck() turns into one line with what to do", async () => {
    // This cluster, like many, does not enforce partition limits at submission (EnforcePartLimits=NO).
    await cluster.cmd('scontrol', ['update', `PartitionName=${cluster.partition}`, 'MaxTime=10']);
    try {
      const t = slurm({ timeLimit: '1-00:00:00' });
      const job = await t.submit({ argv: ['/bin/true'], env: {}, chdir: '/' });
      const pending = await waitFor(t, [job.id], (s) => s.kind === 'pending' && s.reason === 'PartitionTimeLimit', `job ${job.id} pending for the partition's time limit`);
      assert.equal(
        t.stuck(job.id, pending.get(job.id)!),
        `deployment "hpc" (slurm): job ${job.id} cannot start in partition "${cluster.partition}": Slurm says PartitionTimeLimit — ` +
          "the job's time limit is beyond the partition's: lower the deployment's timeLimit ('sinfo -o \"%P %l\"' shows the partition's).",
      );
      assert.equal(t.stuck(job.id, { kind: 'pending', reason: 'Resources', slurmState: 'PENDING' }), undefined);
      await t.cancelAll();
      // sealflow check sees it before any job is submitted.
      assert.deepEqual(await t.check(), [
        `deployment "hpc" (slurm): timeLimit 1-00:00:00 is beyond partition "${cluster.partition}"'s limit of 00:10:00, so the job would wait forever — lower the deployment's timeLimit.`,
      ]);
    } finally {
      await cluster.cmd('scontrol', ['update', `PartitionName=${cluster.partition}`, 'MaxTime=INFINITE']);
    }
  });

  test('check finds a missing partition, and threads or memory no node has, before any job is submitted; a fitting deployment has no problem', async () => {
    const cpus = os.cpus().length;
    assert.deepEqual(await slurm({ timeLimit: '1:00:00', threads: cpus, memory: '64MiB' }).check(), []);
    assert.deepEqual(await slurm({ partition: 'nosuch' }).check(), [
      `deployment "hpc" (slurm): partition "nosuch" does not exist — name one of ${cluster.partition} in the deployment's partition option.`,
    ]);
    const problems = await slurm().check({ threads: cpus + 1, memory: 64 * 1024 ** 4 });
    assert.equal(problems.length, 2);
    assert.equal(problems[0], `deployment "hpc" (slurm): threads ${cpus + 1} is more than any node of partition "${cluster.partition}" has (${cpus} CPUs) — ask for fewer threads or use a partition with larger nodes.`);
    assert.match(problems[1]!, new RegExp(`^deployment "hpc" \\(slurm\\): memory 67108864 MiB is more than any node of partition "${cluster.partition}" has \\(\\d+ MiB\\) — ask for less memory or use a partition with larger nodes\\.$`));
    assert.deepEqual(await SlurmCluster.fromOptions('hpc', { slurmConf: cluster.conf }).check(), [], 'the default partition');
  });

  test("sbatch refusing a partition that does not exist is one line naming the deployment, the partition, Slurm's words and what to do", async () => {
    const t = slurm({ partition: 'nosuch' });
    await assert.rejects(t.submit({ argv: ['/bin/true'], env: {}, chdir: '/' }), (e: unknown) => {
      assert.ok(e instanceof SlurmRefusal);
      assert.equal(
        e.message,
        'deployment "hpc" (slurm): sbatch refused the job for partition "nosuch": invalid partition specified: nosuch; Batch job submission failed: Invalid partition name specified — ' +
          "name an existing partition in the deployment's partition option ('sinfo -s' lists them).",
      );
      assert.ok(!e.message.includes('\n'));
      return true;
    });
    assert.deepEqual(t.jobs(), []);
  });

  test('a step asking for more memory than any node has is refused with Slurm\'s words and what to do', async () => {
    const t = slurm();
    await assert.rejects(t.submit({ argv: ['/bin/true'], env: {}, chdir: '/', memory: 64 * 1024 ** 4 }), (e: unknown) => {
      assert.ok(e instanceof SlurmRefusal);
      assert.equal(
        e.message,
        `deployment "hpc" (slurm): sbatch refused the job for partition "${cluster.partition}": Memory specification can not be satisfied; Batch job submission failed: Requested node configuration is not available — ` +
          "ask for less memory (the step's memory or the deployment's) or use a partition whose nodes have more ('sinfo -o \"%P %m\"' shows MiB per node).",
      );
      return true;
    });
  });
});
