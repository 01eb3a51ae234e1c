/**
 * A hybrid run: one sealflow.yaml with a local `sim` deployment, an `ssh`
 * deployment (a namespace host that sees neither the master's state
 * directory nor SEALFLOW_HOME) and a `slurm` deployment (the two-node
 * cluster, whose nodes see only the shared workDir); bindings put word
 * count's steps on all three. The decrypted counts equal the local-only
 * run's byte for byte, and the receipt names for each step the worker that
 * ran it, and for each worker its connector, host or job, platform and
 * evidence statement.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostsMissing, startHosts, type Hosts } from '../helpers/hosts.js';
import { startSlurm, slurmMissing, type SlurmCluster } from '../helpers/slurm-cluster.js';
import { filesContaining } from '../helpers/files.js';
import { makeMaster, receiptOf, type Master } from './slurm-harness.js';

const skip = slurmMissing() || hostsMissing();

describe('a hybrid run: local sim, an ssh host and a Slurm cluster in one sealflow.yaml', { skip }, () => {
  let m: Master;
  let cluster: SlurmCluster;
  let hosts: Hosts;
  let localCounts: Buffer;

  before(async () => {
    m = await makeMaster('sf-hybrid');
    [cluster, hosts] = await Promise.all([startSlurm({ hide: [m.state, m.home] }), startHosts(1, { hide: [m.state, m.home] })]);
    const r = await m.run('local', m.writeConfig('local', 'deployments:\n  local: { connector: local, platform: sim, workers: 2 }\n'));
    assert.equal(r.code, 0, r.stderr);
    localCounts = await m.decrypt('local');
  });
  after(async () => {
    await hosts?.stopAll();
    await cluster?.stop();
    m?.remove();
  });

  test('word count with steps on local, ssh and slurm workers decrypts to the local-only counts, and the receipt names each step\'s worker with its host or job, platform and evidence', async () => {
    const h = hosts.hosts[0]!;
    const config = m.writeConfig(
      'hybrid',
      [
        'deployments:',
        '  here: { connector: local, platform: sim, workers: 1 }',
        `  cloud: { connector: ssh, platform: sim, workers: 1, host: ${h.address}, user: root, identityFile: ${h.identityFile}, knownHosts: ${h.knownHostsFile}, policy: ${m.remoteSim} }`,
        `  hpc: { connector: slurm, platform: sim, workers: 1, partition: ${cluster.partition}, slurmConf: ${cluster.conf}, workDir: ${m.workDir}, masterAddress: ${cluster.gateway}, policy: ${m.remoteSim} }`,
        'default: here',
        'bindings:',
        '  - { step: map, deployment: cloud }',
        '  - { step: shuffle, deployment: cloud }',
        '  - { step: reduce, deployment: hpc }',
        '  - { step: merge, deployment: hpc }',
        '',
      ].join('\n'),
    );
    const r = await m.run('hybrid', config);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await m.decrypt('hybrid')).equals(localCounts), 'the decrypted counts equal the local-only run byte for byte');

    const receipt = receiptOf(m, 'hybrid');
    const workers = new Map(receipt.workers.map((w) => [w.id, w]));
    const where = new Map<string, string>([['split', 'here'], ['count', 'here'], ['map', 'cloud'], ['shuffle', 'cloud'], ['reduce', 'hpc'], ['merge', 'hpc']]);
    assert.equal(receipt.steps?.length, 16, 'every step instance is in the receipt');
    for (const s of receipt.steps ?? []) {
      const w = workers.get(s.worker);
      assert.ok(w, `${s.step}[${s.index}] names worker ${s.worker}, which the receipt lists`);
      assert.ok(w.id.startsWith(`${where.get(s.step)}-`), `${s.step} ran on deployment ${where.get(s.step)}, not ${w.id}`);
      assert.equal(w.platform, 'sim');
      assert.match(w.statement, /not a TEE/);
    }
    const byConnector = (c: string) => receipt.workers.filter((w) => w.connector === c);
    assert.ok(byConnector('local').length >= 1);
    assert.ok(byConnector('ssh').some((w) => w.host === h.name), JSON.stringify(byConnector('ssh')));
    const hpc = byConnector('slurm');
    assert.ok(hpc.length >= 1 && hpc.every((w) => /^[0-9]+$/.test(w.job ?? '') && cluster.nodes.some((n) => n.name === w.host)), JSON.stringify(hpc));
    assert.ok(byConnector('local').every((w) => w.job === undefined));
    assert.deepEqual(filesContaining([cluster.stateDir, cluster.spoolDir, m.workDir], m.canary), []);
    assert.equal((await h.exec(`grep -rl --binary-files=text ${m.canary} ~ /dev/shm 2>/dev/null || true`)).trim(), '');
  });
});
