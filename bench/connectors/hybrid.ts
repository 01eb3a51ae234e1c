/**
 * Word count as a hybrid run — local sim workers, an `ssh` deployment over
 * two namespace hosts and a `slurm` deployment on the two-node test
 * cluster, in one sealflow.yaml — beside the same workflow on local sim
 * workers only, in one invocation, alternating order. Both are whole
 * `sealflow run`s (workers' start and the decryption-free end included),
 * encrypted, on the same generated corpus; the hybrid's counts must decrypt
 * to the local run's byte for byte.
 *
 *   node dist/bench/connectors/main.js hybrid [--size 1GB] [--reps 1]
 *
 * Placement of the hybrid run: split and merge here (local), count and map
 * on the ssh hosts (the chunks travel to them), shuffle and reduce on the
 * Slurm nodes (through the shared workDir). Four workers in each run. Needs
 * root, openssh-server, slurm-wlm and munge, like the tests whose helpers
 * start the hosts and the cluster (test/helpers/hosts.ts,
 * test/helpers/slurm-cluster.ts, test/connectors/slurm-harness.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHosts } from '../../test/helpers/hosts.js';
import { startSlurm } from '../../test/helpers/slurm-cluster.js';
import { makeMaster } from '../../test/connectors/slurm-harness.js';

const GENERATE = fileURLToPath(new URL('../../examples/word-count/generate.js', import.meta.url));
const WORKERS = 4;

export async function hybridBench(size: string, reps: number): Promise<void> {
  const m = await makeMaster('sfh') // short: ssh's ControlPath socket lives below its TMPDIR (108-byte limit);
  const t0 = performance.now();
  const gen = spawnSync(process.execPath, [GENERATE, '--size', size, '-o', m.corpus, '--seed', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (gen.status !== 0) throw new Error(`generating the corpus failed: ${gen.stderr.toString()}`);
  const bytes = fs.statSync(m.corpus).size;
  process.stderr.write(`corpus ${bytes} bytes generated in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const [cluster, hosts] = await Promise.all([startSlurm({ hide: [m.state, m.home] }), startHosts(2, { hide: [m.state, m.home] })]);
  try {
    const local = m.writeConfig('local', `deployments:\n  local: { connector: local, platform: sim, workers: ${WORKERS} }\n`);
    const addrs = hosts.hosts.map((h) => h.address).join(', ');
    const hybrid = m.writeConfig(
      'hybrid',
      [
        'deployments:',
        '  here: { connector: local, platform: sim, workers: 1 }',
        `  cloud: { connector: ssh, platform: sim, workers: 2, hosts: [${addrs}], user: root, identityFile: ${hosts.identityFile}, knownHosts: ${hosts.knownHostsFile}, policy: ${m.remoteSim} }`,
        `  hpc: { connector: slurm, platform: sim, workers: 1, partition: ${cluster.partition}, slurmConf: ${cluster.conf}, workDir: ${m.workDir}, masterAddress: ${cluster.gateway}, policy: ${m.remoteSim} }`,
        'default: here',
        'bindings:',
        '  - { step: count, deployment: cloud }',
        '  - { step: map, deployment: cloud }',
        '  - { step: shuffle, deployment: hpc }',
        '  - { step: reduce, deployment: hpc }',
        '',
      ].join('\n'),
    );
    const configs: [string, string][] = [
      [`local sim workers (${WORKERS})`, local],
      ['hybrid: 1 local + 2 ssh (two hosts) + 1 slurm sim workers', hybrid],
    ];
    const times = new Map<string, number[]>(configs.map(([k]) => [k, []]));
    let reference: Buffer | undefined;
    for (let r = 0; r < reps; r++) {
      for (const [k, cfg] of r % 2 === 0 ? configs : [...configs].reverse()) {
        const name = `${k.startsWith('hybrid') ? 'hybrid' : 'local'}-${r}`;
        const start = performance.now();
        const res = await m.run(name, cfg, ['--quiet']);
        const s = (performance.now() - start) / 1000;
        if (res.code !== 0) throw new Error(`${k}, rep ${r + 1}: exit ${res.code}: ${res.stderr.slice(-2000)}`);
        times.get(k)!.push(s);
        const counts = await m.decrypt(name);
        if (reference === undefined) reference = counts;
        else assert.ok(counts.equals(reference), `${k}, rep ${r + 1}: the counts differ from the first run's`);
        for (const d of [`state-${name}`, `out-${name}`, `${name}.tsv`]) fs.rmSync(path.join(m.state, d), { recursive: true, force: true });
        process.stderr.write(`${k}, rep ${r + 1}: ${s.toFixed(2)} s\n`);
      }
    }
    const best = (xs: number[]) => Math.min(...xs);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(`hybrid: word count of ${(bytes / 1e9).toFixed(2)} GB, encrypted, attested sim workers (NOT a TEE); ${reps} rep(s), alternating order; ${os.cpus().length} cores; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log('');
    console.log('| workers | best s | median s |');
    console.log('|---|---:|---:|');
    for (const [k] of configs) console.log(`| ${k} | ${best(times.get(k)!).toFixed(2)} | ${median(times.get(k)!).toFixed(2)} |`);
    const [l, h] = configs.map(([k]) => median(times.get(k)!)) as [number, number];
    console.log('');
    console.log(`hybrid / local (median wall time): ${(h / l).toFixed(2)}×; counts byte-identical across all runs`);
  } finally {
    await hosts.stopAll();
    await cluster.stop();
    m.remove();
  }
}
