/**
 * Platform `cvm` (AMD SEV-SNP or Intel TDX confidential VM). The worker runs
 * natively in a VM booted from the measured image of image.ts; the connector
 * only writes the unmeasured values to /run/sealflow/unmeasured.json and the
 * sealed bundle beside it, and starts the fixed unit. `evidence` says
 * sev-snp; a TDX guest's evidence is accepted too (broker EVIDENCE_FOR).
 */
import { allowedEnv, teeRefusal, UNMEASURED_FILE, type LaunchCommand, type LaunchSpec, type TeePlatform } from '../platform.js';
import { hostLacks, RUN_NOT_WIRED, unmeasuredJson } from '../host.js';
import type { LaunchPlan, PlanRequest } from '../plan.js';
import { cvmImage, RUN_DIR, UNIT_NAME } from './image.js';

export { cvmImage, cvmUnit, KERNEL_CMDLINE, CVM_ENV, UNIT_NAME } from './image.js';

/** What `sealflow tee plan --platform cvm` writes: the image description, the unit, and the measurement commands. */
export function cvmLaunchPlan(req: PlanRequest): LaunchPlan {
  const img = cvmImage(req.launchConfig, req.node, req.tools);
  return {
    platform: 'cvm',
    files: {
      [UNIT_NAME]: img.unit,
      'initrd.txt': img.initrd.join('\n') + '\n',
      'cmdline.txt': img.cmdline + '\n',
      'launch.json': req.launchConfig,
      'checklist.txt': img.checklist.map((c) => `- ${c}`).join('\n') + '\n',
    },
    build: ['build initrd.img from initrd.txt (the files listed, nothing else) and boot vmlinuz with cmdline.txt', ...img.measure],
    run: [`mkdir -p ${RUN_DIR} && printf %s '<unmeasured values as JSON>' > ${RUN_DIR}/${UNMEASURED_FILE}`, `systemctl start ${UNIT_NAME}`],
    notes: [`SNP HOST_DATA ${img.snpHostData}; TDX MRCONFIGID ${img.tdxMrConfigId}: both bind launch.json (the master pin).`, 'sealflow computes no launch measurement itself: use the tool output above (no published test vector was checked here).'],
  };
}

export const cvmPlatform: TeePlatform = {
  name: 'cvm',
  isTee: true,
  evidence: 'sev-snp',
  hostNeeds: { files: [{ path: '/sys/kernel/config/tsm/report', what: 'configfs-tsm: SEV-SNP or TDX guest evidence' }], commands: ['systemctl'] },
  masterNeeds: RUN_NOT_WIRED,
  get launchNeeds() {
    return hostLacks(['/sys/kernel/config/tsm/report'], ['systemctl'], 'an SEV-SNP or TDX confidential VM booted from the measured image of sealflow tee plan --platform cvm') ?? RUN_NOT_WIRED;
  },
  satisfies: (req) => req === 'none' || req === 'any' || req === 'sev-snp' || req === 'tdx',
  refuses(step, opts) {
    return teeRefusal(this, step, opts);
  },
  /**
   * Writes the unmeasured values and the sealed bundle to /run/sealflow and
   * starts the fixed unit; `spec.program` (a provisioner the connector
   * shipped) is never run: the measured one in the image is.
   */
  launch(spec: LaunchSpec): LaunchCommand {
    const [address = '', slot = '', bundle = ''] = spec.args;
    const values = unmeasuredJson([address, slot, `${RUN_DIR}/executor.bundle`], spec.env);
    return {
      command: 'sh',
      args: ['-c', `mkdir -p ${RUN_DIR} && cp -- "$2" ${RUN_DIR}/executor.bundle && printf %s "$1" > ${RUN_DIR}/${UNMEASURED_FILE} && exec systemctl start --wait ${UNIT_NAME}`, 'sealflow-cvm', values, bundle],
      env: allowedEnv(spec.env),
      cwd: spec.workDir,
    };
  },
};
