/**
 * Platform `occlum` (SGX, Occlum LibOS). Occlum runs every process of the
 * enclave in one address space and cannot `fork`: the executor starts command
 * steps by spawning, and a step that needs fork (a `shell: true` command: the
 * shell forks for pipelines and subshells) is refused with that reason. The
 * image is built and signed on the owner's side (files.ts); the host runs
 * `occlum run` on the instance it received. No SGX here: tests check what it
 * generates and run the launch path with stand-in toolchain executables.
 */
import { deriveSizing } from '../sizing.js';
import { PlanRefusal, scratchOf, type LaunchPlan, type PlanRequest } from '../plan.js';
import { allowedEnv, teeRefusal, UNMEASURED_FILE, type LaunchCommand, type LaunchSpec, type TeePlatform } from '../platform.js';
import { hostLacks, unmeasuredJson } from '../host.js';
import { copyBom, ENTRY, HOST_MOUNT, INSTANCE_ARCHIVE, occlumBuildCommands, occlumJson, occlumRunCommands, SEA_MAIN } from './files.js';
import type { Step } from '../../workflow/model.js';

export { occlumJson, copyBom, ENTRY, INSTANCE_ARCHIVE, LAUNCH_CONFIG, OCCLUM_VERSION } from './files.js';

/** The owner's side builds a Node single executable: `node --experimental-sea-config` exists from Node.js 20. */
function seaLacks(): string | null {
  const major = Number(process.versions.node.split('.')[0]);
  return major >= 20 ? null : `Node.js 20 or later on the master, which makes the image's single executable (node --experimental-sea-config; this is ${process.version})`;
}

/** Why Occlum cannot run `step`, or null. */
function occlumRefusal(step: Step): string | null {
  if (step.run.kind === 'command' && step.run.shell) {
    return `step ${step.id} runs its command through a shell (shell: true), which forks; Occlum cannot fork (it spawns): write the command without shell, or bind the step to a gramine or cvm deployment`;
  }
  return null;
}

export function occlumLaunchPlan(req: PlanRequest): LaunchPlan {
  const why = occlumRefusal(req.step);
  if (why !== null) throw new PlanRefusal(why);
  const r = req.step.requirements;
  const sizing = deriveSizing({ libos: 'occlum', threads: r.threads, ...(r.memory !== undefined ? { memory: r.memory } : {}), inputBytes: req.inputBytes, scratch: scratchOf(req), edmm: false }, req.overrides, `step ${req.step.id} (occlum)`);
  return {
    platform: 'occlum',
    sizing,
    files: {
      'Occlum.json': JSON.stringify(occlumJson({ sizing, productId: 1, versionNumber: 1 }), null, 2) + '\n',
      'sealflow.yaml': copyBom(req.node, req.tools, 'sealflow-provisioner', 'launch.json'),
      'sea-main.cjs': SEA_MAIN,
      'sea-config.json': JSON.stringify({ main: 'sealflow-provisioner.cjs', output: 'sealflow-provisioner.blob', disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }, null, 2) + '\n',
      'launch.json': req.launchConfig,
    },
    build: occlumBuildCommands(sizing.edmm, req.signingKey),
    run: occlumRunCommands(),
    notes: [
      'occlum run passes its arguments from the host: the entry ignores them and reads /etc/sealflow/launch.json from the measured image.',
      'The untrusted environment is empty (env.untrusted: []); the unmeasured values are read from /host/unmeasured.json.',
      `Each enclave size and thread count is a distinct MRENCLAVE (occlum print mrenclave): add each to the policy.`,
    ],
  };
}

export const occlumPlatform: TeePlatform = {
  name: 'occlum',
  isTee: true,
  evidence: 'sgx',
  hostNeeds: { files: [{ path: '/dev/sgx_enclave', what: 'the SGX driver' }], commands: ['occlum', 'tar'] },
  /** The master builds and signs the image (src/master/occlum-image.ts); the host's SGX device, occlum and tar are hostNeeds. */
  get masterNeeds() {
    return seaLacks() ?? hostLacks([], ['occlum', 'copy_bom'], 'Occlum on the master, which builds and signs the image with the owner\'s key');
  },
  get launchNeeds() {
    return seaLacks() ?? hostLacks(['/dev/sgx_enclave'], ['occlum', 'copy_bom', 'tar'], 'SGX hardware and Occlum');
  },
  satisfies: (req) => req === 'none' || req === 'any' || req === 'sgx',
  refuses(step, opts) {
    return teeRefusal(this, step, opts) ?? occlumRefusal(step);
  },
  /**
   * `spec.args` are [address, slot, bundle]. The worker's directory holds the
   * instance archive the connector shipped and checked: it is unpacked there
   * (the directory becomes the Occlum instance), the bundle is copied into the
   * host mount and the values written to unmeasured.json there.
   */
  launch(spec: LaunchSpec): LaunchCommand {
    const [address = '', slot = ''] = spec.args;
    const values = unmeasuredJson([address, slot, `${HOST_MOUNT}/executor.bundle`], spec.env);
    return {
      command: 'sh',
      args: ['-c', `tar -xf ${INSTANCE_ARCHIVE} && mkdir -p host && cp -- "$2" host/executor.bundle && printf %s "$1" > host/${UNMEASURED_FILE} && exec occlum run ${ENTRY}`, 'sealflow-occlum', values, spec.args[2] ?? ''],
      env: allowedEnv(spec.env),
      cwd: spec.workDir,
    };
  },
};
