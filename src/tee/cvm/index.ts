/**
 * Platform `cvm` (AMD SEV-SNP or Intel TDX confidential VM). The connector
 * runs on the hypervisor host (local, ssh, a Slurm node); the launch boots one
 * VM per worker from the measured image of image.ts with measured direct boot
 * (qemu.ts), hands it the unmeasured values and the sealed bundle as fw_cfg
 * files, and the fixed unit starts the measured provisioner at boot. The host
 * never runs `spec.program` (a provisioner the connector shipped is not in
 * the measurement). The VM powers off when the provisioner ends, so the
 * worker is the qemu process the connector tracks and kills.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FW_CFG_BUNDLE, splitHostPort } from '../../protocol/launch-config.js';
import { allowedEnv, teeRefusal, UNMEASURED_FILE, type LaunchCommand, type LaunchSpec, type TeePlatform } from '../platform.js';
import { deviceRoot, onPath, unmeasuredJson } from '../host.js';
import type { LaunchPlan, PlanRequest } from '../plan.js';
import { cvmImage, UNIT_NAME } from './image.js';
import { GUEST_MASTER, qemuArgs, type CvmVm } from './qemu.js';

export { cvmImage, cvmUnit, KERNEL_CMDLINE, CVM_ENV, UNIT_NAME } from './image.js';
export { qemuArgs, GUEST_MASTER, type CvmVm, type GuestKind } from './qemu.js';

/** Where a deployment's image is when it names none (`image:`), on the hypervisor host. */
export const DEFAULT_IMAGE = { kernel: '/var/lib/sealflow/cvm/vmlinuz', initrd: '/var/lib/sealflow/cvm/initrd.img', firmware: '/var/lib/sealflow/cvm/OVMF.fd' } as const;

/**
 * launch.json for a cvm image: evidence from configfs-tsm, unmeasured values from fw_cfg under `root` (default: the
 * kernel's; a configuration that names its unmeasured source already keeps it unless `root` is given).
 */
export function withFwCfg(launchConfig: string, root?: string): string {
  const c = JSON.parse(launchConfig) as { unmeasured?: unknown };
  if (c.unmeasured !== undefined && root === undefined) return launchConfig;
  return JSON.stringify({ ...c, unmeasured: { kind: 'fw_cfg', ...(root !== undefined ? { root } : {}) } }) + '\n';
}

/** What `sealflow tee plan --platform cvm` writes: the image description, the unit, and the measurement commands. */
export function cvmLaunchPlan(req: PlanRequest): LaunchPlan {
  const launchConfig = withFwCfg(req.launchConfig);
  const img = cvmImage(launchConfig, req.node, req.tools);
  const vm: CvmVm = { guest: 'sev-snp', ...DEFAULT_IMAGE, vcpus: req.step.requirements.threads, memoryMiB: vmMemoryMiB(req.step.requirements.memory), launchSha256: img.snpHostData };
  return {
    platform: 'cvm',
    files: {
      [UNIT_NAME]: img.unit,
      'initrd.txt': img.initrd.join('\n') + '\n',
      'cmdline.txt': img.cmdline + '\n',
      'launch.json': launchConfig,
      'checklist.txt': img.checklist.map((c) => `- ${c}`).join('\n') + '\n',
    },
    build: ['build initrd.img from initrd.txt (the files listed, nothing else) and boot vmlinuz with cmdline.txt', ...img.measure],
    run: [`printf %s '<unmeasured values as JSON>' > ${UNMEASURED_FILE}`, ['qemu-system-x86_64', ...qemuArgs(vm, { unmeasured: UNMEASURED_FILE, bundle: 'executor.bundle' }, [])].map(shellWord).join(' ')],
    notes: [
      `SNP HOST_DATA ${img.snpHostData}; TDX MRCONFIGID ${img.tdxMrConfigId}: both bind launch.json (the master pin).`,
      `sealflow run adds guestfwd=tcp:${GUEST_MASTER}:<port>-tcp:<master host>:<port> to -netdev for the master's broker and executor ports, and boots one VM per worker.`,
      'sealflow computes no launch measurement itself: use the tool output above (no published test vector was checked here).',
    ],
  };
}

/** `w` as one POSIX shell word, for a command shown to a person. */
const shellWord = (w: string): string => (/^[A-Za-z0-9_./:=,+@%-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`);

/** VM memory for steps needing `memory` bytes: that plus 1 GiB for the kernel, node and the executor, at least 2 GiB. */
export function vmMemoryMiB(memory: number | undefined): number {
  return Math.max(2048, Math.ceil((memory ?? 0) / 2 ** 20) + 1024);
}

/** Null when this machine can boot SEV-SNP or TDX guests with QEMU (under SEALFLOW_DEVICE_ROOT); else what it lacks, one sentence. */
export function hypervisorLacks(): string | null {
  const at = (p: string) => path.join(deviceRoot(), p);
  const tdx = (() => {
    try {
      return /^[Y1]/.test(readFileSync(at('/sys/module/kvm_intel/parameters/tdx'), 'latin1'));
    } catch {
      return false;
    }
  })();
  const missing = [
    ...(existsSync(at('/dev/kvm')) ? [] : ['/dev/kvm']),
    ...(existsSync(at('/dev/sev')) || tdx ? [] : ['/dev/sev (SEV-SNP) or TDX enabled in kvm_intel']),
    ...(onPath('qemu-system-x86_64') ? [] : ['qemu-system-x86_64 on PATH']),
  ];
  return missing.length === 0 ? null : `a hypervisor host with KVM and SEV-SNP or TDX, and QEMU with confidential-guest support, booting the measured image of sealflow tee plan --platform cvm (this machine lacks ${missing.join(', ')})`;
}

/**
 * The cvm platform booting `vm`. `spec.args` are [broker address, slot,
 * bundle path on the host, executor address…]: the unmeasured values name
 * the master at GUEST_MASTER (forwarded to each address's port) and the
 * bundle as its fw_cfg item; nothing else the host gives reaches the guest.
 */
export function cvmPlatformFor(vm: CvmVm): TeePlatform {
  return {
    name: 'cvm',
    isTee: true,
    evidence: vm.guest,
    hostNeeds: { files: [{ path: '/dev/kvm', what: 'KVM, with /dev/sev (SEV-SNP) or TDX enabled in kvm_intel' }], commands: ['qemu-system-x86_64'] },
    // The master builds nothing for a cvm deployment: the image is the user's, on the host.
    masterNeeds: null,
    get launchNeeds() {
      return hypervisorLacks();
    },
    satisfies: (req) => req === 'none' || req === 'any' || req === 'sev-snp' || req === 'tdx',
    refuses(step, opts) {
      return teeRefusal(this, step, opts);
    },
    launch(spec: LaunchSpec): LaunchCommand {
      const [address = '', slot = '', bundle = '', ...more] = spec.args;
      const a = splitHostPort(address);
      const values = unmeasuredJson([a ? `${GUEST_MASTER}:${a.port}` : address, slot, FW_CFG_BUNDLE], spec.env);
      return {
        command: 'sh',
        args: ['-c', `printf %s "$1" > ${UNMEASURED_FILE} && shift && exec qemu-system-x86_64 "$@"`, 'sealflow-cvm', values, ...qemuArgs(vm, { unmeasured: UNMEASURED_FILE, bundle }, [address, ...more])],
        env: allowedEnv(spec.env),
        cwd: spec.workDir,
        hostPaths: [vm.kernel, vm.initrd, vm.firmware],
      };
    },
  };
}

/** The registered platform: checks and the contract; `sealflow run` boots each deployment's own VM (cvmPlatformFor). */
export const cvmPlatform: TeePlatform = cvmPlatformFor({ guest: 'sev-snp', ...DEFAULT_IMAGE, vcpus: 1, memoryMiB: 2048, launchSha256: '0'.repeat(64) });
