/**
 * The provisioner's launch configuration (docs/protocol.md §3): the master
 * pin and where evidence comes from. Measured with the provisioner, so it is
 * public and canonical. Node built-ins only (bundled into the provisioner).
 */

export type EvidenceSource =
  | { readonly kind: 'sim'; readonly socket: string }
  | { readonly kind: 'configfs-tsm' }
  | { readonly kind: 'gramine' }
  /** Platform `none`: no TEE, no evidence; the master releases keys only where it allows unattested workers. */
  | { readonly kind: 'none' };

export interface LaunchConfig {
  readonly version: 1;
  /** SHA-256 of the master signing key's SPKI DER, hex. */
  readonly pin: string;
  readonly evidence: EvidenceSource;
}

export function parseLaunchConfig(text: string): LaunchConfig {
  const c = JSON.parse(text) as LaunchConfig;
  if (c.version !== 1 || typeof c.pin !== 'string' || !/^[0-9a-f]{64}$/.test(c.pin) || typeof c.evidence?.kind !== 'string') throw new Error('invalid launch configuration');
  return c;
}
