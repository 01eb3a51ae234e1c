/**
 * Smoke test of the two-node Slurm cluster the slurm connector's tests stand
 * on (test/helpers/slurm-cluster.ts): it starts, a batch job runs on each
 * node, scancel cancels, and stop leaves no daemon, job or namespace behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startSlurm, slurmMissing, type SlurmCluster } from '../helpers/slurm-cluster.js';
import { forwardHeldByOthers, forwardOriginal, netnsExists, readForward } from '../helpers/netns.js';
import { pidsWithCmdline } from '../helpers/processes.js';
import { sleep } from '../helpers/wait.js';

const skip = slurmMissing();

/** Polls (bounded) until `f` returns a value; fails with `what`. */
async function poll<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

describe('two-node slurm cluster', { skip }, () => {
  let cluster: SlurmCluster;
  let forwardBefore: string;
  let stopped = false;
  let home: string;

  before(async () => {
    // Another test process using namespaces may already hold ip_forward on; then the value to come back is the one it saved.
    forwardBefore = forwardOriginal() ?? readForward();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-master-home-'));
    fs.writeFileSync(path.join(home, 'broker.key'), 'MASTER-SECRET-CANARY\n');
    cluster = await startSlurm({ hide: [home] });
  });

  after(async () => {
    if (!stopped) await cluster?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('both nodes are idle in the partition, each in its own namespace', async () => {
    assert.deepEqual(cluster.nodes.map((n) => n.name), ['n1', 'n2']);
    const out = await cluster.cmd('sinfo', ['-h', '-N', '-p', cluster.partition, '-o', '%N %T']);
    assert.deepEqual(out.trim().split('\n').sort(), ['n1 idle', 'n2 idle']);
    for (const n of cluster.nodes) assert.ok(netnsExists(n.netns));
  });

  test("sbatch --export=NONE runs a job on each node (-w), in the node's namespace, not seeing the master's state directory, reaching the root namespace", async () => {
    const jobs = path.join(cluster.dir, 'jobs');
    // A stand-in for the master, listening in the root namespace on the address the nodes see.
    const server = net.createServer((sock) => sock.end('master-hello'));
    await new Promise<void>((r) => server.listen(0, cluster.gateway, r));
    after(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const ids = await Promise.all(
      cluster.nodes.map(async (n) => {
        const marker = path.join(jobs, `${n.name}.ok`);
        const out = await cluster.cmd('sbatch', [
          '--parsable', '--export=NONE', '-p', cluster.partition, '-w', n.name, '-J', 'sealflow-smoke',
          '-o', path.join(jobs, `${n.name}.out`), '--chdir', jobs,
          '--wrap', `hostname; hostname -I; test -e ${home}/broker.key && echo PRESENT || echo hidden; bash -c 'exec 3<>/dev/tcp/${cluster.gateway}/${port}; cat <&3; echo'; echo ok > ${marker}`,
        ]);
        return { node: n, id: out.trim().split(';')[0]!, marker };
      }),
    );
    for (const { node, id, marker } of ids) {
      assert.match(id, /^\d+$/);
      await poll(`job ${id} on ${node.name} wrote its marker`, () => (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === 'ok\n' ? true : undefined));
      const out = await poll(`job ${id} output`, () => {
        const f = path.join(jobs, `${node.name}.out`);
        const s = fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
        return s.split('\n').length >= 5 ? s : undefined;
      });
      const [hostname, addrs, secret, master] = out.split('\n');
      assert.equal(master, 'master-hello', out);
      assert.equal(hostname, node.name);
      assert.deepEqual(addrs!.trim().split(/\s+/), [node.address]);
      assert.equal(secret, 'hidden', "the master's state directory is visible to the job");
    }
  });

  test('scancel cancels a running job and its processes go', async () => {
    const n = cluster.nodes[1]!;
    const id = (
      await cluster.cmd('sbatch', ['--parsable', '--export=NONE', '-p', cluster.partition, '-w', n.name, '-J', 'sealflow-cancel', '-o', '/dev/null', '--wrap', 'exec sleep 3007'])
    )
      .trim()
      .split(';')[0]!;
    await poll(`job ${id} running`, async () => ((await cluster.cmd('squeue', ['-h', '-j', id, '-o', '%T'])).trim() === 'RUNNING' ? true : undefined));
    await poll('the job process', () => (pidsWithCmdline('sleep\u00003007').length ? true : undefined));
    await cluster.cmd('scancel', [id]);
    await poll(`job ${id} no longer running`, async () => {
      const st = (await cluster.cmd('squeue', ['-h', '-j', id, '-o', '%T']).catch(() => '')).trim();
      return st === '' || st === 'CANCELLED' ? true : undefined;
    });
    await poll('the job process gone', () => (pidsWithCmdline('sleep\u00003007').length === 0 ? true : undefined));
    const state = await cluster.cmd('scontrol', ['show', 'job', id]);
    assert.match(state, /JobState=CANCELLED/);
  });

  test('stop leaves no slurm or munge process, no namespace, and ip_forward as it was', async () => {
    const pids = cluster.pids();
    assert.ok(pids.length >= 4, `daemons: ${pids}`);
    const names = [cluster.controller.netns, ...cluster.nodes.map((n) => n.netns)];
    const dir = cluster.dir;
    const original = forwardOriginal();
    assert.equal(original, forwardBefore, 'the saved ip_forward value');
    assert.equal(readForward(), '1');
    stopped = true;
    await cluster.stop();
    for (const p of pids) assert.equal(fs.existsSync(`/proc/${p}`), false, `process ${p} left`);
    assert.deepEqual(pidsWithCmdline(dir), []);
    for (const n of names) assert.equal(netnsExists(n), false, `namespace ${n} left`);
    assert.equal(fs.existsSync(dir), false);
    // Another test process using namespaces at the same time keeps ip_forward on until it is done
    // (read the value first: one that registers after the check would turn it on again).
    const forwardAfter = readForward();
    if (!forwardHeldByOthers()) assert.equal(forwardAfter, forwardBefore);
  });
});
