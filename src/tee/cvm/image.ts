/**
 * The measured boot image a `cvm` worker runs from (docs/tee-platforms.md
 * "cvm"). The launch measurement covers the firmware and, with measured
 * direct boot, the kernel, initrd and kernel command line; so `node`, the
 * provisioner and launch.json are in the initrd and a fixed init unit starts
 * them at boot. Nothing the host supplies reaches the measured program except
 * two fw_cfg files (qemu.ts) — the unmeasured values, which the provisioner
 * parses itself, and the sealed executor bundle, whose hash the master signs:
 * the unit reads no `EnvironmentFile=` (systemd lets such a file override
 * `Environment=`), and `env -i` drops whatever the service manager holds
 * (`systemctl set-environment`, `DefaultEnvironment=`). No login, no SSH:
 * nothing the host can use gets in; the VM powers off when the provisioner ends.
 */
import { createHash } from 'node:crypto';
import type { MeasuredBinary } from '../plan.js';
import { measuredFiles } from '../plan.js';
import { KERNEL_CMDLINE } from './qemu.js';
import { FW_CFG_ROOT } from '../../protocol/launch-config.js';

export { KERNEL_CMDLINE } from './qemu.js';
export const UNIT_NAME = 'sealflow-provisioner.service';
/** The provisioner's working directory inside the VM (tmpfs, made by the unit). */
export const RUN_DIR = '/run/sealflow';
export const INSTALL_DIR = '/opt/sealflow';
/** The measured program's whole environment. */
export const CVM_ENV = ['PATH=/usr/bin:/bin', 'HOME=/scratch', 'LANG=C.UTF-8'] as const;

/**
 * The fixed unit in the initrd. It runs as root inside the VM: the fw_cfg
 * `raw` files and the configfs-tsm report directory are root's, and the VM
 * runs nothing else. Success or failure, the VM powers off when it ends.
 */
export function cvmUnit(node: string): string {
  return [
    '[Unit]',
    'Description=sealflow provisioner (measured: in the initrd, started only by this unit)',
    'After=network-online.target sys-kernel-config.mount',
    'Wants=network-online.target',
    'SuccessAction=poweroff-force',
    'FailureAction=poweroff-force',
    '[Service]',
    'Type=exec',
    // env -i: the environment is exactly CVM_ENV, whatever the manager or the host set; `--` ends node's options.
    `ExecStart=/usr/bin/env -i ${CVM_ENV.join(' ')} ${node} -- ${INSTALL_DIR}/provisioner.mjs ${INSTALL_DIR}/launch.json`,
    // The host reads the console (console.log beside the VM): refusal reasons, never keys.
    'StandardOutput=journal+console',
    'StandardError=journal+console',
    'RuntimeDirectory=sealflow',
    `WorkingDirectory=${RUN_DIR}`,
    'PrivateTmp=yes',
    'NoNewPrivileges=yes',
    'Restart=no',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

export interface CvmImage {
  /** SNP HOST_DATA (32 bytes) and TDX MRCONFIGID (48 bytes) binding launch.json, hex. */
  readonly snpHostData: string;
  readonly tdxMrConfigId: string;
  /** Every file the initrd holds (paths inside it). */
  readonly initrd: readonly string[];
  readonly unit: string;
  readonly cmdline: string;
  /** What the user runs to obtain the reference measurement for the policy. */
  readonly measure: readonly string[];
  /** The measured-boot checklist, one requirement a line. */
  readonly checklist: readonly string[];
}

export function cvmImage(launchJson: string, node: MeasuredBinary, tools: readonly MeasuredBinary[]): CvmImage {
  const h = createHash('sha256').update(launchJson).digest('hex');
  return {
    snpHostData: h,
    tdxMrConfigId: h + '0'.repeat(32),
    initrd: [...measuredFiles([node, ...tools]), `${INSTALL_DIR}/provisioner.mjs`, `${INSTALL_DIR}/launch.json`, `/etc/systemd/system/${UNIT_NAME}`, `/etc/systemd/system/multi-user.target.wants/${UNIT_NAME}`, '/sbin/init (systemd)'],
    unit: cvmUnit(node.path),
    cmdline: KERNEL_CMDLINE,
    measure: [
      `sev-snp-measure --mode snp --vcpus=<N> --vcpu-type=<EPYC-v4|EPYC-Genoa> --ovmf=<OVMF.fd built with kernel hashes> --kernel=vmlinuz --initrd=initrd.img --append='${KERNEL_CMDLINE}' --output-format hex`,
      'TDX: MRTD and RTMR[1..2] of this TDVF, kernel, initrd and command line, from the measurement tool of your TDVF build (none was run or tested here)',
    ],
    checklist: [
      'Boot with measured direct boot (OVMF with kernel hashes for SNP, TDVF with RTMR measurement for TDX): kernel, initrd and command line are measured.',
      `The initrd holds node, ${INSTALL_DIR}/provisioner.mjs and ${INSTALL_DIR}/launch.json; a provisioner copied in after boot (over SSH) is not attested, and sealflow does not treat it as attested.`,
      'No SSH daemon, console login or root account usable by the host: the host only boots the VM (qemu-system-x86_64, measured direct boot) and hands it two fw_cfg files.',
      `The kernel has CONFIG_FW_CFG_SYSFS (fw_cfg items under ${FW_CFG_ROOT}) and CONFIG_TSM_REPORTS with the sev-guest or tdx-guest driver; configfs is mounted at /sys/kernel/config.`,
      `Launch SNP guests with HOST_DATA=${h}; TDX guests with MRCONFIGID=${h}${'0'.repeat(32)}.`,
      'Guest policy: debug off, no migration agent; the attestation policy lists the MEASUREMENT (SNP) or MRTD+RTMRs (TDX) and HOST_DATA/MRCONFIGID.',
      'Evidence comes from configfs-tsm (/sys/kernel/config/tsm/report), Linux >= 6.7.',
      'The initrd brings up the virtio NIC by DHCP (QEMU user networking answers it) before network-online.target; the master is at 10.0.2.100, forwarded by the host (guestfwd), and nothing else is reachable (restrict=on).',
      'Scratch space is tmpfs (guest memory is encrypted); no unencrypted swap.',
    ],
  };
}
