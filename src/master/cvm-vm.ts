/**
 * The master's side of a `cvm` deployment in `sealflow run`
 * (docs/tee-platforms.md "cvm"): nothing is built here — the measured image
 * is the user's, on the hypervisor host — so the master only compiles the
 * deployment's VM (`image:`, `guest:`, `vcpus:`, its steps' threads and
 * memory), computes the launch.json the image must hold for this master
 * (its pin, the evidence and fw_cfg roots), and from it HOST_DATA /
 * MRCONFIGID, which the launch sets and the policy may check.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { InputError } from '../errors.js';
import type { EvidenceSource } from '../protocol/launch-config.js';
import { cvmPlatformFor, DEFAULT_IMAGE, vmMemoryMiB, withFwCfg, type CvmVm, type GuestKind } from '../tee/cvm/index.js';
import type { TeePlatform } from '../tee/platform.js';
import { launchConfigText } from '../tee/sim/measure.js';

/** A cvm deployment's VM, all but what depends on the master's pin. */
export type CvmVmOptions = Omit<CvmVm, 'launchSha256'> & {
  /** The fw_cfg sysfs root launch.json names (only for replaying recorded evidence; default the kernel's). */
  readonly fwCfgRoot?: string;
};

const where = (id: string, key: string): string => `deployment ${id}: ${key}`;

/** `options` of cvm deployment `id` compiled; throws InputError naming the key and what to do. */
export function cvmVmOptions(id: string, options: Readonly<Record<string, unknown>>, resources: { readonly threads?: number; readonly memory?: number } = {}): CvmVmOptions {
  const abs = (key: string, v: unknown): string => {
    if (typeof v !== 'string' || !path.isAbsolute(v)) throw new InputError(`${where(id, key)}: ${JSON.stringify(v)} is not an absolute path on the hypervisor host`);
    return v;
  };
  const img = options['image'] ?? {};
  if (typeof img !== 'object' || img === null || Array.isArray(img)) throw new InputError(`${where(id, 'image')} must be a map { kernel, initrd, firmware } of paths on the hypervisor host`);
  const extra = Object.keys(img).filter((k) => !(k in DEFAULT_IMAGE));
  if (extra.length > 0) throw new InputError(`${where(id, 'image')}: unknown key ${extra.join(', ')}; an image is { kernel, initrd, firmware }`);
  const i = img as Record<string, unknown>;
  const image = { kernel: abs('image.kernel', i['kernel'] ?? DEFAULT_IMAGE.kernel), initrd: abs('image.initrd', i['initrd'] ?? DEFAULT_IMAGE.initrd), firmware: abs('image.firmware', i['firmware'] ?? DEFAULT_IMAGE.firmware) };
  const guest = options['guest'] ?? 'sev-snp';
  if (guest !== 'sev-snp' && guest !== 'tdx') throw new InputError(`${where(id, 'guest')}: ${JSON.stringify(guest)} is not sev-snp or tdx`);
  const v = options['vcpus'];
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 512)) throw new InputError(`${where(id, 'vcpus')}: ${JSON.stringify(v)} is not an integer from 1 to 512`);
  const fw = options['fwCfgRoot'];
  return {
    guest: guest as GuestKind,
    ...image,
    vcpus: (v as number | undefined) ?? Math.max(1, resources.threads ?? 1),
    memoryMiB: vmMemoryMiB(resources.memory),
    ...(fw !== undefined ? { fwCfgRoot: abs('fwCfgRoot', fw) } : {}),
  };
}

/** The launch.json a cvm image for this master holds: canonical, so HOST_DATA is reproducible. */
export function cvmLaunchConfig(pin: string, evidence: EvidenceSource, fwCfgRoot?: string): string {
  return withFwCfg(launchConfigText(pin, evidence), fwCfgRoot);
}

/** The platform booting this deployment's VM for the master with `pin`. */
export function cvmDeploymentPlatform(vm: CvmVmOptions, pin: string, evidence: EvidenceSource): TeePlatform {
  const { fwCfgRoot, ...rest } = vm;
  const launchSha256 = createHash('sha256').update(cvmLaunchConfig(pin, evidence, fwCfgRoot)).digest('hex');
  return cvmPlatformFor({ ...rest, launchSha256 });
}
