/**
 * The provisioner's launch configuration (docs/protocol.md §3): the master
 * pin and where evidence comes from. Measured with the provisioner, so it is
 * public and canonical. Node built-ins only (bundled into the provisioner).
 */

export type EvidenceSource =
  | { readonly kind: 'sim'; readonly socket: string }
  /** `root`: the configfs-tsm report directory (default /sys/kernel/config/tsm/report); tests point it at a copy. */
  | { readonly kind: 'configfs-tsm'; readonly root?: string }
  /** `root`: Gramine's attestation pseudo-files (default /dev/attestation). */
  | { readonly kind: 'gramine'; readonly root?: string }
  /** Occlum's devfs quote files /dev/attestation_report_data and /dev/attestation_quote; `root` default /dev. */
  | { readonly kind: 'occlum'; readonly root?: string }
  /** Platform `none`: no TEE, no evidence; the master releases keys only where it allows unattested workers. */
  | { readonly kind: 'none' };

export interface LaunchConfig {
  readonly version: 1;
  /** SHA-256 of the master signing key's SPKI DER, hex. */
  readonly pin: string;
  readonly evidence: EvidenceSource;
  /**
   * Gramine with `scratch: encrypted`: the key name of the encrypted scratch
   * mount, which the provisioner sets at start to 16 bytes from the CSPRNG
   * inside the enclave (/dev/attestation/keys/<name>).
   */
  readonly scratchKey?: string;
}

export function parseLaunchConfig(text: string): LaunchConfig {
  let c: LaunchConfig;
  try {
    c = JSON.parse(text) as LaunchConfig;
  } catch {
    throw new Error('invalid launch configuration: not JSON');
  }
  if (typeof c !== 'object' || c === null || typeof c.evidence !== 'object' || c.evidence === null || c.version !== 1 || typeof c.pin !== 'string' || !/^[0-9a-f]{64}$/.test(c.pin) || typeof c.evidence?.kind !== 'string' || !['sim', 'configfs-tsm', 'gramine', 'occlum', 'none'].includes(c.evidence.kind) || ('root' in c.evidence && (typeof c.evidence.root !== 'string' || !c.evidence.root.startsWith('/'))) || (c.scratchKey !== undefined && (c.evidence.kind !== 'gramine' || typeof c.scratchKey !== 'string' || !/^[a-z_]{1,32}$/.test(c.scratchKey)))) throw new Error('invalid launch configuration');
  return c;
}
