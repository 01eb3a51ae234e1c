/**
 * N attested workers (platform sim) across two `ssh` namespace hosts, from
 * "start workers" to "all attested and ready", beside the same N local sim
 * workers and a bare `ssh host true` to each host, in one invocation.
 * Remote sim evidence is accepted under a policy with allowRemoteSimulation
 * (NOT a TEE). Each rep is a new run: the ssh connector prepares each host
 * afresh (connect, check node and tools, sweep, run directory, uploads).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkerHandle } from '../../src/connectors/connector.js';
import { localConnector } from '../../src/connectors/local/index.js';
import { compileSshOptions, SshHost, sshConnector } from '../../src/connectors/ssh/index.js';
import { provisionerBundle } from '../../src/tee/provisioner-bundle.js';
import { startAttestedWorkers } from '../../src/engine/worker-start.js';
import { localMaster } from '../../src/master/local-master.js';
import { MasterSession } from '../../src/master/master-session.js';
import { referenceSimMeasurement } from '../../src/tee/sim/measure.js';
import { startHosts } from '../../test/helpers/hosts.js';

const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };

async function stop(handles: readonly WorkerHandle[]): Promise<void> {
  for (const h of handles) h.channel.send({ type: 'shutdown' });
  await Promise.all(handles.map((h) => h.exited));
}

/** The ssh connector's steps of preparing one host, each timed (ms): where a remote worker's start goes. */
async function phases(h: { address: string; identityFile: string; knownHostsFile: string }): Promise<Record<string, number>> {
  const host = new SshHost(compileSshOptions('bench', { host: h.address, user: 'root', identityFile: h.identityFile, knownHosts: h.knownHostsFile }));
  const out: Record<string, number> = {};
  const step = async (k: string, f: () => Promise<unknown>) => {
    const t = performance.now();
    await f();
    out[k] = performance.now() - t;
  };
  try {
    await step('connect (ControlMaster)', () => host.connect());
    await step('check node', () => host.checkNode());
    await step('check tools', () => host.checkTools());
    await step('one command over the shared connection', () => host.run('true'));
    const dir = await host.makeRunDir();
    await step(`upload the provisioner (${(fs.statSync(provisionerBundle().path).size / 1024).toFixed(0)} KiB)`, () => dir.upload(provisionerBundle().path, 'p.mjs', 0o600));
    await step('forward one port back to the master', () => host.forwardRemoteToLocal({ port: 1 }, { host: '127.0.0.1', port: 1 }).then((f) => f.cancel()));
    await dir.remove();
  } finally {
    await host.close();
  }
  return out;
}

export async function readyBench(n: number, reps: number): Promise<void> {
  if (!process.env['SEALFLOW_HOME']) throw new Error('set SEALFLOW_HOME to an empty directory (the master key of the bench is made there)');
  const hosts = await startHosts(2);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-bench-ready-'));
  try {
    const policy = path.join(dir, 'remote-sim.yaml');
    fs.writeFileSync(policy, `allowSimulated: true\nallowRemoteSimulation: true\nsim:\n  measurements: [${referenceSimMeasurement((await localMaster(() => undefined)).pin)}]\n`);
    const rows: Record<string, number[]> = { ssh: [], local: [], sshTrue: [], setup: [] };
    for (let r = 0; r < reps; r++) {
      for (const where of r % 2 === 0 ? ['ssh', 'local'] : ['local', 'ssh']) {
        const runId = `bench-ready-${process.pid}-${where}-${r}`;
        const master = new MasterSession({ runId, warn: () => undefined });
        const t0 = performance.now();
        await master.attested();
        const t1 = performance.now();
        let handles: WorkerHandle[];
        if (where === 'ssh') {
          const per = Math.ceil(n / hosts.hosts.length);
          const groups = await Promise.all(
            hosts.hosts.map((h, i) => {
              const options = { host: h.address, user: 'root', identityFile: h.identityFile, knownHosts: h.knownHostsFile, policy };
              const slots = Array.from({ length: per }, (_, k) => `h${i}-${k + 1}`);
              return startAttestedWorkers(master, { runId, connector: sshConnector, env }, { id: `h${i}`, connector: 'ssh', platform: 'sim', workers: per, options }, slots);
            }),
          );
          handles = groups.flat();
        } else {
          const slots = Array.from({ length: n }, (_, k) => `l-${k + 1}`);
          handles = await startAttestedWorkers(master, { runId, connector: localConnector, env }, { id: 'l', connector: 'local', platform: 'sim', workers: n, options: {} }, slots);
        }
        const t2 = performance.now();
        rows[where]!.push(t2 - t1);
        if (where === 'ssh') rows['setup']!.push(t1 - t0);
        await stop(handles);
        await master.close();
        if (where === 'ssh') await sshConnector.close?.(runId);
      }
      const t = performance.now();
      for (const h of hosts.hosts) spawnSync(h.sshArgv(['true'])[0]!, h.sshArgv(['true']).slice(1));
      rows['sshTrue']!.push((performance.now() - t) / hosts.hosts.length);
    }
    const ph = await phases(hosts.hosts[0]!);
    const best = (xs: readonly number[]) => Math.min(...xs);
    const med = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const ms = (xs: readonly number[]) => `best ${best(xs).toFixed(0)} ms, median ${med(xs).toFixed(0)} ms`;
    console.log(`ready: ${n} attested sim workers, ${reps} reps, alternating order; ${os.cpus().length} cores; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log(`- across two ssh hosts (${n / 2} each), launch to all ready: ${ms(rows['ssh']!)}`);
    console.log(`- on the master's machine (local connector), launch to all ready: ${ms(rows['local']!)}`);
    console.log(`- the run's session setup before launch (run CA, executor bundle; not counted above): ${ms(rows['setup']!)}`);
    console.log(`- a bare \`ssh root@host true\` (new connection, per host, sequential): ${ms(rows['sshTrue']!)}`);
    console.log(`- the connector's steps for one host, once: ${Object.entries(ph).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join('; ')}`);
  } finally {
    await hosts.stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
