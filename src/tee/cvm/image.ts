/**
 * The measured boot image a `cvm` worker runs from (docs/tee-platforms.md
 * "cvm"). The launch measurement covers the firmware and, with measured
 * direct boot, the kernel, initrd and kernel command line; so `node`, the
 * provisioner and launch.json are in the initrd and a fixed init unit starts
 * them. Nothing the host supplies reaches the measured program except
 * /run/sealflow/unmeasured.json, which the provisioner parses itself: the
 * unit reads no `EnvironmentFile=` (systemd lets such a file override
 * `Environment=`), and `env -i` drops whatever the service manager holds
 * (`systemctl set-environment`, `DefaultEnvironment=`).
 */
import { createHash } from 'node:crypto';
import { UNMEASURED_FILE } from '../platform.js';
import type { MeasuredBinary } from '../plan.js';
import { measuredFiles } from '../plan.js';

export const UNIT_NAME = 'sealflow-provisioner.service';
/** Where the connector writes unmeasured.json and the sealed bundle inside the VM (tmpfs). */
export const RUN_DIR = '/run/sealflow';
export const INSTALL_DIR = '/opt/sealflow';
/** The measured program's whole environment. */
export const CVM_ENV = ['PATH=/usr/bin:/bin', 'HOME=/scratch', 'LANG=C.UTF-8'] as const;
/** Kernel command line (measured): no console login, no init override, read-only root from the initrd. */
export const KERNEL_CMDLINE = 'console=ttyS0 rdinit=/sbin/init systemd.unit=multi-user.target systemd.mask=serial-getty@ttyS0.service systemd.mask=sshd.service ro panic=-1';

/** The fixed unit in the initrd. */
export function cvmUnit(node: string): string {
  return [
    '[Unit]',
    'Description=sealflow provisioner (measured: in the initrd, started only by this unit)',
    'After=network-online.target',
    `ConditionPathExists=${RUN_DIR}/${UNMEASURED_FILE}`,
    '[Service]',
    'Type=exec',
    // env -i: the environment is exactly CVM_ENV, whatever the manager or the host set; `--` ends node's options.
    `ExecStart=/usr/bin/env -i ${CVM_ENV.join(' ')} ${node} -- ${INSTALL_DIR}/provisioner.mjs ${INSTALL_DIR}/launch.json`,
    `WorkingDirectory=${RUN_DIR}`,
    'DynamicUser=yes',
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
      'No SSH daemon, console login or root account usable by the host; the connector account may only write /run/sealflow/ and start the unit.',
      `Launch SNP guests with HOST_DATA=${h}; TDX guests with MRCONFIGID=${h}${'0'.repeat(32)}.`,
      'Guest policy: debug off, no migration agent; the attestation policy lists the MEASUREMENT (SNP) or MRTD+RTMRs (TDX) and HOST_DATA/MRCONFIGID.',
      'Evidence comes from configfs-tsm (/sys/kernel/config/tsm/report), Linux >= 6.7.',
      'Scratch space is tmpfs (guest memory is encrypted); no unencrypted swap.',
    ],
  };
}
