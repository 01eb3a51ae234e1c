/**
 * Platform `cvm` (AMD SEV-SNP or Intel TDX confidential VM). The launch
 * measurement covers the firmware and — with measured direct boot — the
 * kernel, initrd and command line; a provisioner copied in over SSH later is
 * NOT attested. So the provisioner, `node` and launch.json must be in the
 * measured initrd, started by a fixed init unit; the master pin is also
 * bound into HOST_DATA (SNP) or MRCONFIGID (TDX), which the evidence
 * carries and the policy checks. The connector only starts the fixed unit
 * and hands it the unmeasured values (docs/protocol.md §3) in an environment
 * file, which the provisioner treats as untrusted. `evidence` says sev-snp;
 * a TDX guest's evidence is accepted too (broker EVIDENCE_FOR).
 */
import { createHash } from 'node:crypto';
import type { LaunchCommand, LaunchSpec, TeePlatform } from '../platform.js';

export interface CvmRequirements {
  /** SNP HOST_DATA (32 bytes) and TDX MRCONFIGID (48 bytes) that bind launch.json, hex. */
  readonly snpHostData: string;
  readonly tdxMrConfigId: string;
  /** The measured-boot checklist an operator must satisfy, one requirement a line. */
  readonly checklist: readonly string[];
  /** The fixed systemd unit inside the image. */
  readonly unit: string;
}

export function cvmRequirements(launchJson: string): CvmRequirements {
  const h = createHash('sha256').update(launchJson).digest('hex');
  return {
    snpHostData: h,
    tdxMrConfigId: h + '0'.repeat(32),
    checklist: [
      'Boot with measured direct boot (OVMF with kernel hashes for SNP, TDVF with RTMR measurement for TDX): kernel, initrd and command line are measured.',
      'The initrd contains node, /opt/sealflow/provisioner.js and /opt/sealflow/launch.json; nothing is copied in after boot.',
      'A fixed init unit (below) runs the provisioner; no SSH daemon or console login in the image.',
      `Launch SNP guests with HOST_DATA=${h}; TDX guests with MRCONFIGID=${h}${'0'.repeat(32)}.`,
      'Guest policy: debug off, no migration agent; the attestation policy lists the resulting MEASUREMENT (SNP) or MRTD+RTMRs (TDX) and HOST_DATA/MRCONFIGID.',
      'Evidence comes from configfs-tsm (/sys/kernel/config/tsm/report), Linux >= 6.7; launch.json says evidence kind "configfs-tsm".',
      'Scratch space is tmpfs (guest memory is encrypted); no unencrypted swap.',
    ],
    unit: [
      '[Unit]',
      'Description=sealflow provisioner (measured)',
      'After=network-online.target',
      '[Service]',
      'EnvironmentFile=/run/sealflow/untrusted.env',
      'Environment=NODE_OPTIONS=',
      'ExecStart=/usr/bin/node /opt/sealflow/provisioner.js /opt/sealflow/launch.json',
      'WorkingDirectory=/scratch',
      'Restart=no',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'),
  };
}

export const cvmPlatform: TeePlatform = {
  name: 'cvm',
  isTee: true,
  evidence: 'sev-snp',
  launchNeeds: 'an AMD SEV-SNP or Intel TDX confidential VM booted from a measured image holding node, the provisioner and launch.json (src/tee/cvm/); this version does not launch cvm workers yet',
  satisfies: (req) => req === 'none' || req === 'any' || req === 'sev-snp' || req === 'tdx',
  /**
   * Inside a running CVM the connector only writes the unmeasured values to
   * /run/sealflow/untrusted.env and starts the fixed unit.
   */
  launch(spec: LaunchSpec): LaunchCommand {
    const [address = '', slot = '', bundle = ''] = spec.args;
    // The launch ticket (docs/protocol.md §3a) is unmeasured too; it comes in the run's environment.
    const env = `SEALFLOW_MASTER_ADDRESS=${address}\nSEALFLOW_SLOT=${slot}\nSEALFLOW_BUNDLE=${bundle}\nSEALFLOW_TICKET=${spec.env['SEALFLOW_TICKET'] ?? ''}\n`;
    return {
      command: 'sh',
      args: ['-c', 'mkdir -p /run/sealflow && printf %s "$1" > /run/sealflow/untrusted.env && systemctl start sealflow-provisioner.service', 'sealflow-cvm', env],
      env: { ...spec.env },
      cwd: spec.workDir,
    };
  },
};
