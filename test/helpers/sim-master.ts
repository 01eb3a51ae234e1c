/**
 * What the remote-worker run tests (ssh, slurm, data in place, faults) set
 * up on the master's side: the local master of a test's own SEALFLOW_HOME,
 * sim policies allowing its reference measurement, the word-count example
 * copied without its own deployments, and the decryption of a run's one
 * encrypted output with the owner identity.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { MasterKeys } from '../../src/crypto/master-key.js';
import { localMaster } from '../../src/master/local-master.js';
import { referenceSimMeasurement } from '../../src/tee/sim/measure.js';
import { REPO, runCli } from './cli.js';
import { withEnv } from './env.js';

/** The local master of SEALFLOW_HOME `home`, made on first use as `sealflow run` makes it (SEALFLOW_HOME is `home` only during the call). */
export function masterOf(home: string): Promise<MasterKeys> {
  return withEnv({ SEALFLOW_HOME: home }, () => localMaster(() => undefined));
}

export interface SimPolicies {
  readonly master: MasterKeys;
  /** `remote-sim.yaml`: sim allowed from remote deployments (allowRemoteSimulation), the master's reference measurement. */
  readonly remoteSim: string;
  /** `local-sim.yaml`: the same measurement, sim from local deployments only. */
  readonly localSim: string;
}

/** Writes remote-sim.yaml and local-sim.yaml into `dir`, each allowing the reference sim measurement of the master of `home`. */
export async function simPolicies(home: string, dir: string): Promise<SimPolicies> {
  const master = await masterOf(home);
  const m = referenceSimMeasurement(master.pin);
  const remoteSim = path.join(dir, 'remote-sim.yaml');
  const localSim = path.join(dir, 'local-sim.yaml');
  fs.writeFileSync(remoteSim, `allowSimulated: true\nallowRemoteSimulation: true\nsim:\n  measurements: [${m}]\n`);
  fs.writeFileSync(localSim, `allowSimulated: true\nsim:\n  measurements: [${m}]\n`);
  return { master, remoteSim, localSim };
}

/** A copy of examples/word-count at `dir`/wc without its sealflow.yaml (the test's --config names the deployments); its path. */
export function wordCountCopy(dir: string): string {
  const flow = path.join(dir, 'wc');
  fs.cpSync(path.join(REPO, 'examples', 'word-count'), flow, { recursive: true });
  fs.rmSync(path.join(flow, 'sealflow.yaml'));
  return flow;
}

/** Decrypts the one `.age` file of `out` with the owner identity of `home` into `to` (`sealflow decrypt`); its plaintext. */
export async function decryptOnlyOutput(out: string, home: string, to: string, o: { env: NodeJS.ProcessEnv; cwd: string }): Promise<Buffer> {
  const ages = fs.readdirSync(out).filter((f) => f.endsWith('.age'));
  assert.equal(ages.length, 1, `one encrypted output in ${out}: ${ages.join(', ')}`);
  const r = await runCli(['decrypt', '-i', path.join(home, 'owner-identity.txt'), '-o', to, path.join(out, ages[0]!)], o);
  assert.equal(r.code, 0, r.stderr);
  return fs.readFileSync(to);
}
