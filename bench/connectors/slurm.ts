/**
 * bench/connectors/slurm: time from `sbatch` to an attested Slurm worker —
 * the slurm connector submits the job, Slurm starts it on a node of the test
 * cluster (test/helpers/slurm-cluster.ts: two slurmd nodes in network
 * namespaces), the provisioner attests with sim evidence through the
 * relay, and the executor connects and says ready. Beside it, in the same
 * invocation, the same worker on the `local` connector (the peer: no queue,
 * no relay, no shared directory).
 *
 *   SEALFLOW_HOME=$(mktemp -d) node dist/bench/connectors/slurm.js [--reps 7]
 *
 * Needs root and slurm-wlm + munge (as the tests). Prints the median and the
 * range of each, and the slurm figure split at the moment squeue first shows
 * the job running (the connector polls squeue every second).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localConnector } from '../../src/connectors/local/index.js';
import type { Connector, LaunchReport } from '../../src/connectors/connector.js';
import { slurmConnector } from '../../src/connectors/slurm/connector.js';
import { startAttestedWorkers } from '../../src/engine/worker-start.js';
import { localMaster } from '../../src/master/local-master.js';
import { MasterSession } from '../../src/master/master-session.js';
import { referenceSimMeasurement } from '../../src/tee/sim/measure.js';
import { startSlurm } from '../../test/helpers/slurm-cluster.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}
const REPS = Number(arg('--reps', '7'));
const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: readonly number[]) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;

const dir = fs.mkdtempSync('/tmp/sfb-');
const workDir = path.join(dir, 'w');
const policy = path.join(dir, 'policy.yaml');
fs.writeFileSync(policy, `allowSimulated: true\nallowRemoteSimulation: true\nsim:\n  measurements: [${referenceSimMeasurement((await localMaster(() => undefined)).pin)}]\n`);
const cluster = await startSlurm();

async function one(rep: number, connector: Connector, options: Record<string, unknown>): Promise<{ ready: number; running?: number }> {
  const runId = `bench-${process.pid}-${connector.name}-${rep}`;
  const master = new MasterSession({ runId, warn: () => undefined });
  await master.attested(); // the run's one-time setup (run CA, executor bundle): not timed
  let running: number | undefined;
  const t0 = performance.now();
  const report = (_: string, r: LaunchReport) => {
    if (r.state === 'running' && running === undefined) running = performance.now() - t0;
  };
  const [h] = await startAttestedWorkers(master, { runId, connector, env, report }, { id: 'bench', connector: connector.name, platform: 'sim', workers: 1, options }, ['bench-1']);
  const ready = performance.now() - t0;
  h!.channel.send({ type: 'shutdown' });
  await h!.exited;
  await connector.close?.(runId);
  await master.close();
  return running === undefined ? { ready } : { ready, running };
}

try {
  const slurm: { ready: number; running?: number }[] = [];
  const local: number[] = [];
  const options = { partition: cluster.partition, slurmConf: cluster.conf, workDir, masterAddress: cluster.gateway, policy };
  for (let r = 0; r < REPS; r++) {
    slurm.push(await one(r, slurmConnector, options));
    local.push((await one(r, localConnector, {})).ready);
  }
  const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
  process.stdout.write(
    [
      `sbatch → attested, ready Slurm worker (sim, ${REPS} reps): ${fmt(slurm.map((s) => s.ready))}`,
      `  of which sbatch → squeue shows it running: ${fmt(slurm.map((s) => s.running ?? NaN))}`,
      `local connector, same worker (peer): ${fmt(local)}`,
      `load average ${load} on ${os.availableParallelism()} cores`,
      '',
    ].join('\n'),
  );
} finally {
  await cluster.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
