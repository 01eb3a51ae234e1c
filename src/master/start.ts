/** What the master needs to know of a deployment to start its attested (or encrypted `none`) workers. */
import { OperationError } from '../errors.js';
import { loadPolicy } from '../attestation/policy-load.js';
import type { AttestedDeployment } from './session.js';
import { hardwareOptions } from './gramine-enclave.js';
import { cvmVmOptions } from './cvm-vm.js';

/** A deployment as the engine compiled it (its EngineDeployment). */
export interface DeploymentSpec {
  readonly id: string;
  readonly connector: string;
  readonly platform: string;
  readonly options: Readonly<Record<string, unknown>>;
  /** The most threads and memory of the steps placed on it (a cvm VM is sized for them). */
  readonly resources?: { readonly threads?: number; readonly memory?: number };
}

/** `d` as the run's attested session needs it: its platform checked, its policy loaded, its transfers chosen. */
export function attestedDeployment(d: DeploymentSpec): AttestedDeployment {
  // `none` reaches here only when the run encrypts (EngineDeployment.encrypt): no TEE, no evidence.
  if (d.platform !== 'sim' && d.platform !== 'none' && d.platform !== 'gramine' && d.platform !== 'occlum' && d.platform !== 'cvm') throw new OperationError(`deployment ${d.id}: platform ${d.platform} cannot be launched on this machine`);
  if (d.platform === 'cvm' && d.connector !== 'local' && d.connector !== 'ssh') throw new OperationError(`deployment ${d.id}: platform cvm boots its VMs through the local and ssh connectors in this version, not ${d.connector}; run the connector on the hypervisor host with connector: ssh`);
  const file = d.options['policy'];
  const policy = typeof file === 'string' ? loadPolicy(file) : undefined;
  // gramine, occlum: the owner's signing key, the collateral and the evidence root (gramine-enclave.ts); its policy names the MRENCLAVE.
  const sgx = d.platform === 'gramine' || d.platform === 'occlum';
  if (sgx && policy === undefined) throw new OperationError(`deployment ${d.id}: platform ${d.platform} needs a policy: file listing the enclave's MRENCLAVE (sealflow tee measure, sealflow policy add-measurement)`);
  // cvm: the VM booted from the user's measured image (cvm-vm.ts); its policy names the launch measurement.
  if (d.platform === 'cvm' && policy === undefined) throw new OperationError(`deployment ${d.id}: platform cvm needs a policy: file listing the VM's launch measurement (SEV-SNP: sev-snp-measure, then sealflow policy add-measurement --platform sev-snp; TDX: MRTD and RTMRs), docs/tee-platforms.md "cvm"`);
  const hardware = sgx || d.platform === 'cvm' ? { hardware: hardwareOptions(d.id, d.platform, d.options), options: d.options } : {};
  const vm = d.platform === 'cvm' ? { vm: cvmVmOptions(d.id, d.options, d.resources) } : {};
  return { id: d.id, connector: d.connector, platform: d.platform, ...(policy !== undefined ? { policy } : {}), transfers: transfersOf(d), ...hardware, ...vm };
}

/**
 * §15.7: `local` workers share the master's disk, where every ciphertext
 * already is: they read the master's copy unless the deployment says
 * `transfers: direct`. `ssh` workers read through the master unless the
 * deployment says `transfers: direct` (§15.8: their data ports then listen
 * on the host's network, and a consumer that cannot reach its producer gets
 * the master's copy); `slurm` workers read through the master (their data
 * ports are in jobs on the nodes). A connector added later pulls from the
 * producer by default.
 */
export function transfersOf(d: Pick<DeploymentSpec, 'connector' | 'options'>): 'direct' | 'master' {
  const t = d.options['transfers'];
  if (t === 'direct' || t === 'master') return t;
  // ssh (by default), slurm: workers' data ports are not reachable from other hosts (docs/connectors/ssh.md, slurm.md).
  return d.connector === 'local' || d.connector === 'ssh' || d.connector === 'slurm' ? 'master' : 'direct';
}
