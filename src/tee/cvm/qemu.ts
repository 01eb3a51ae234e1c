/**
 * How a `cvm` worker starts on the hypervisor host (docs/tee-platforms.md
 * "cvm"): the connector runs on that host and the launch boots one
 * confidential VM per worker with `qemu-system-x86_64` and measured direct
 * boot — `-kernel`/`-initrd`/`-append` hashed into the launch measurement
 * (SNP: `sev-snp-guest,kernel-hashes=on`; TDX: TDVF measures them into
 * RTMRs), HOST_DATA / MRCONFIGID set to the SHA-256 of launch.json. The
 * unmeasured values and the sealed executor bundle reach the guest as QEMU
 * fw_cfg files (QEMU docs/specs/fw_cfg.rst: user items are named `opt/…`,
 * at most 55 characters; the guest reads them from the Linux sysfs
 * interface, Documentation/ABI/testing/sysfs-firmware-qemu_fw_cfg:
 * `/sys/firmware/qemu_fw_cfg/by_name/<name>/raw`), which the provisioner
 * parses itself and never trusts. The guest reaches the master through
 * QEMU's user-mode network: `guestfwd` maps a fixed guest address to the
 * master's ports as the host sees them (the pin makes such a relay harmless).
 * The VM powers off when the provisioner exits, so the worker's lifetime is
 * the qemu process the connector tracks and kills.
 */

import { FW_CFG_BUNDLE, FW_CFG_UNMEASURED, splitHostPort } from '../../protocol/launch-config.js';

export { FW_CFG_BUNDLE, FW_CFG_UNMEASURED } from '../../protocol/launch-config.js';
/** The master's address inside the guest: QEMU user networking forwards it (guestfwd) to the master as the host reaches it. */
export const GUEST_MASTER = '10.0.2.100';

export type GuestKind = 'sev-snp' | 'tdx';

/** One deployment's VM (compiled from its options, src/master/cvm-vm.ts). */
export interface CvmVm {
  readonly guest: GuestKind;
  /** Paths on the hypervisor host. */
  readonly kernel: string;
  readonly initrd: string;
  /** OVMF built with kernel hashes (SNP, AmdSevX64) or TDVF (TDX). */
  readonly firmware: string;
  readonly vcpus: number;
  readonly memoryMiB: number;
  /** SHA-256 of launch.json, hex: SNP HOST_DATA; TDX MRCONFIGID (zero-padded to 48 bytes). */
  readonly launchSha256: string;
}

/** The kernel command line (measured). */
export const KERNEL_CMDLINE = 'console=ttyS0 rdinit=/sbin/init systemd.unit=multi-user.target systemd.mask=serial-getty@ttyS0.service systemd.mask=sshd.service ro panic=-1';

/** QEMU's option parser reads `,` as a separator: a literal comma is doubled. */
const q = (v: string): string => v.replaceAll(',', ',,');

/**
 * qemu-system-x86_64's arguments for `vm`, the fw_cfg files in the worker's
 * directory (`unmeasured` relative to it; `bundle` a path on the host), and
 * the master ports to forward (`host:port` each; others are dropped: the
 * provisioner refuses an address it cannot reach).
 */
export function qemuArgs(vm: CvmVm, files: { readonly unmeasured: string; readonly bundle: string }, forward: readonly string[]): string[] {
  const hostData = Buffer.from(vm.launchSha256, 'hex');
  const cgs = vm.guest === 'sev-snp'
    // QEMU docs/system/i386/amd-memory-encryption.rst: sev-snp-guest; host-data is 32 bytes, base64.
    ? ['-machine', 'q35,confidential-guest-support=cvm0', '-object', `sev-snp-guest,id=cvm0,cbitpos=51,reduced-phys-bits=1,kernel-hashes=on,host-data=${hostData.toString('base64')}`, '-cpu', 'EPYC-v4']
    // QEMU docs/system/i386/tdx.rst: tdx-guest; mrconfigid is 48 bytes, base64.
    : ['-machine', 'q35,kernel-irqchip=split,confidential-guest-support=cvm0', '-object', `tdx-guest,id=cvm0,mrconfigid=${Buffer.concat([hostData, Buffer.alloc(16)]).toString('base64')}`, '-cpu', 'host'];
  const fwd = forward.map(splitHostPort).filter((a) => a !== null).map((a) => `,guestfwd=tcp:${GUEST_MASTER}:${a.port}-tcp:${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`);
  return [
    '-enable-kvm', ...cgs,
    '-smp', String(vm.vcpus), '-m', `${vm.memoryMiB}M`,
    '-bios', vm.firmware, '-kernel', vm.kernel, '-initrd', vm.initrd, '-append', KERNEL_CMDLINE,
    '-fw_cfg', `name=${FW_CFG_UNMEASURED},file=${q(files.unmeasured)}`,
    '-fw_cfg', `name=${FW_CFG_BUNDLE},file=${q(files.bundle)}`,
    '-netdev', `user,id=net0,restrict=on${fwd.join('')}`, '-device', 'virtio-net-pci,netdev=net0',
    '-nodefaults', '-display', 'none', '-serial', 'file:console.log', '-no-reboot',
  ];
}
