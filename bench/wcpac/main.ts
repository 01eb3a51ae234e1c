/**
 * bench/wcpac: from "start workers" to "all ready", for N local workers,
 * attested (platform sim: provisioner, evidence, key broker, bundle
 * decryption, mTLS executor connection) next to unattested (platform none:
 * the executor started directly), in the same run. SecDATAVIEW waited fixed
 * sleeps of 5 + 30 + 60 s instead.
 *
 *   SEALFLOW_HOME=$(mktemp -d) node dist/bench/wcpac/main.js [--n 8] [--reps 3]
 *
 * Each figure is the best of --reps (the session's one-time setup — run CA,
 * executor bundle — is timed separately).
 */
import os from 'node:os';
import { localConnector } from '../../src/connectors/local/index.js';
import type { WorkerHandle } from '../../src/connectors/connector.js';
import { startAll, startAttestedWorkers, startPlainWorker } from '../../src/engine/worker-start.js';
import { MasterSession } from '../../src/master/master-session.js';
import { nonePlatform } from '../../src/tee/none/index.js';
import { helpIfAsked } from '../help.js';

helpIfAsked(`usage: SEALFLOW_HOME=$(mktemp -d) node dist/bench/wcpac/main.js [--n 8] [--reps 3]

Measures the time from "start workers" to "all ready" for N local workers, attested (platform sim:
provisioner, evidence, key broker, bundle decryption, mTLS) beside unattested (platform none), in one
invocation; best of --reps, the session's one-time setup timed apart. sim is not a TEE.`);

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}
const N = Number(arg('--n', '8'));
const REPS = Number(arg('--reps', '3'));
const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };

async function stop(handles: readonly WorkerHandle[]): Promise<void> {
  for (const h of handles) h.channel.send({ type: 'shutdown' });
  await Promise.all(handles.map((h) => h.exited));
}

async function attested(rep: number): Promise<{ setup: number; ready: number }> {
  const t0 = performance.now();
  const runId = `bench-${process.pid}-${rep}`;
  const master = new MasterSession({ runId, warn: () => undefined });
  await master.attested();
  const t1 = performance.now();
  const slots = Array.from({ length: N }, (_, i) => `bench-${i + 1}`);
  const handles = await startAttestedWorkers(master, { runId, connector: localConnector, env }, { id: 'bench', connector: 'local', platform: 'sim', workers: N, options: {} }, slots);
  const t2 = performance.now();
  await stop(handles);
  await master.close();
  return { setup: t1 - t0, ready: t2 - t1 };
}

async function unattested(): Promise<number> {
  const t0 = performance.now();
  const c = { runId: 'bench', connector: localConnector, platform: nonePlatform, env, localBase: os.tmpdir() };
  const handles = await startAll(Array.from({ length: N }, (_, i) => `bench-${i + 1}`), (slot) => startPlainWorker(c, { id: 'bench', options: {} }, slot));
  const t = performance.now() - t0;
  await stop(handles);
  return t;
}

const a: { setup: number; ready: number }[] = [];
const u: number[] = [];
for (let r = 0; r < REPS; r++) {
  a.push(await attested(r));
  u.push(await unattested());
}
const best = (xs: number[]) => Math.min(...xs);
const ms = (x: number) => `${x.toFixed(0)} ms`;
process.stdout.write(
  [
    `workers: ${N}, best of ${REPS}, load: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    `attested (sim): session setup ${ms(best(a.map((x) => x.setup)))} + ${N} workers attested and ready ${ms(best(a.map((x) => x.ready)))} = ${ms(best(a.map((x) => x.setup + x.ready)))}`,
    `unattested (none): ${N} workers ready ${ms(best(u))}`,
    `SecDATAVIEW: fixed sleeps 5 s + 30 s + 60 s = 95000 ms`,
    '',
  ].join('\n'),
);
