/**
 * The provisioner's launch configuration (docs/protocol.md §3): the master
 * pin and where evidence comes from. Measured with the provisioner, so it is
 * public and canonical. Node built-ins only (bundled into the provisioner).
 */

/** The fw_cfg items a `cvm` VM is given (QEMU docs/specs/fw_cfg.rst: user items are `opt/<unique name>/…`), and where the guest kernel shows them. */
export const FW_CFG_UNMEASURED = 'opt/org.sealflow/unmeasured.json';
export const FW_CFG_BUNDLE = 'opt/org.sealflow/executor.bundle';
export const FW_CFG_ROOT = '/sys/firmware/qemu_fw_cfg/by_name';
/** Linux configfs-tsm's report directory (Documentation/ABI/testing/configfs-tsm). */
export const TSM_ROOT = '/sys/kernel/config/tsm/report';

/** `host:port` (host a name, IPv4 or [IPv6], brackets removed; port 1-65535), or null. */
export function splitHostPort(a: string): { host: string; port: number } | null {
  const m = /^([A-Za-z0-9.-]{1,253}|\[[0-9a-fA-F:.]{2,45}\]):(\d{1,5})$/.exec(a);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return null;
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

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
  /**
   * `cvm`: the unmeasured values and the sealed bundle come from QEMU fw_cfg
   * files (`<root>/opt/org.sealflow/{unmeasured.json,executor.bundle}/raw`;
   * `root` default /sys/firmware/qemu_fw_cfg/by_name; tests point it at a copy).
   */
  readonly unmeasured?: { readonly kind: 'fw_cfg'; readonly root?: string };
}

function badUnmeasured(u: unknown): boolean {
  if (u === undefined) return false;
  if (typeof u !== 'object' || u === null) return true;
  const o = u as Record<string, unknown>;
  return o['kind'] !== 'fw_cfg' || Object.keys(o).some((k) => k !== 'kind' && k !== 'root') || (o['root'] !== undefined && (typeof o['root'] !== 'string' || !o['root'].startsWith('/')));
}

export function parseLaunchConfig(text: string): LaunchConfig {
  let c: LaunchConfig;
  try {
    c = JSON.parse(text) as LaunchConfig;
  } catch {
    throw new Error('invalid launch configuration: not JSON');
  }
  if (typeof c !== 'object' || c === null || typeof c.evidence !== 'object' || c.evidence === null || c.version !== 1 || typeof c.pin !== 'string' || !/^[0-9a-f]{64}$/.test(c.pin) || typeof c.evidence?.kind !== 'string' || !['sim', 'configfs-tsm', 'gramine', 'occlum', 'none'].includes(c.evidence.kind) || ('root' in c.evidence && (typeof c.evidence.root !== 'string' || !c.evidence.root.startsWith('/'))) || (c.scratchKey !== undefined && (c.evidence.kind !== 'gramine' || typeof c.scratchKey !== 'string' || !/^[a-z_]{1,32}$/.test(c.scratchKey))) || badUnmeasured(c.unmeasured) || (c.unmeasured !== undefined && c.evidence.kind !== 'configfs-tsm')) throw new Error('invalid launch configuration');
  return c;
}
