/**
 * `sealflow run --no-encrypt` (DESIGN.md, Platforms): encryption is on for
 * every run; turning it off is a benchmark baseline allowed only where no
 * key would need protecting from anyone but the master itself — platform
 * `none` on `local` deployments (the master's own, trusted machine).
 */
import { InputError } from '../errors.js';
import type { EngineDeployment } from '../engine/workers.js';

/** A deployment's `transfers:` (docs/protocol.md §15.7) must be `master` or `direct`. */
export function checkTransfers(deployments: readonly EngineDeployment[]): void {
  for (const d of deployments) {
    const t = d.options['transfers'];
    if (t !== undefined && t !== 'master' && t !== 'direct') throw new InputError(`deployment ${d.id}: transfers: ${JSON.stringify(t)} — expected master (read other workers' outputs from the master's copy) or direct (pull them from the producing worker)`);
  }
}

/** Throws (exit 2, nothing started) unless every deployment the run uses may run unencrypted. */
export function checkNoEncrypt(used: readonly EngineDeployment[]): void {
  for (const d of used) {
    if (d.platform === 'none' && d.connector === 'local') continue;
    const fix = d.connector === 'local' ? ' (add --platform none, or drop --no-encrypt)' : ' (drop --no-encrypt)';
    throw new InputError(
      `--no-encrypt: deployment ${d.id} uses platform ${d.platform} on connector ${d.connector}; unencrypted runs are allowed only with platform none on local deployments${fix}`,
    );
  }
}
