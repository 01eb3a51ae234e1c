/** The engine's entry to attested workers (called by WorkerPool.start for platforms with evidence). */
import type { WorkerHandle } from '../connectors/connector.js';
import { OperationError } from '../errors.js';
import { loadPolicy } from '../attestation/policy-load.js';
import type { MasterSession } from './master-session.js';

/** What the master needs to know of a deployment to start its attested workers. */
export interface AttestedDeploymentSpec {
  readonly id: string;
  readonly connector: string;
  readonly platform: string;
  readonly options: Readonly<Record<string, unknown>>;
}

export async function startAttested(master: MasterSession, d: AttestedDeploymentSpec, count: number, env: Readonly<Record<string, string>>, firstIndex = 1): Promise<WorkerHandle[]> {
  // `none` reaches here only when the run encrypts (EngineDeployment.encrypt): no TEE, no evidence.
  if (d.platform !== 'sim' && d.platform !== 'none') throw new OperationError(`deployment ${d.id}: platform ${d.platform} cannot be launched on this machine`);
  const file = d.options['policy'];
  const policy = typeof file === 'string' ? loadPolicy(file) : undefined;
  const session = await master.attested();
  session.hold();
  return session.start({ id: d.id, connector: d.connector, platform: d.platform, ...(policy !== undefined ? { policy } : {}), transfers: transfersOf(d) }, count, env, firstIndex);
}

/**
 * §15.7: `local` workers share the master's disk, where every ciphertext
 * already is: they read the master's copy unless the deployment says
 * `transfers: direct`. Other connectors pull from the producer by default.
 */
export function transfersOf(d: Pick<AttestedDeploymentSpec, 'connector' | 'options'>): 'direct' | 'master' {
  const t = d.options['transfers'];
  if (t === 'direct' || t === 'master') return t;
  return d.connector === 'local' ? 'master' : 'direct';
}
