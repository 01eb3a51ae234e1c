/**
 * Platform `gramine` (SGX, Gramine LibOS). The enclave is built and signed on
 * the owner's (or master's) side from the manifest sealflow generates
 * (manifest.ts) with `gramine-manifest` and `gramine-sgx-sign`; the worker
 * host only receives the signed manifest and runs `gramine-sgx`. No SGX on
 * this machine: tests check what it generates and run the launch path with
 * stand-in toolchain executables (docs/tee-platforms.md).
 */
import { deriveSizing } from '../sizing.js';
import { scratchOf, type LaunchPlan, type PlanRequest } from '../plan.js';
import { allowedEnv, teeRefusal, UNMEASURED_FILE, type LaunchCommand, type LaunchSpec, type TeePlatform } from '../platform.js';
import { gramineBuildCommands, gramineManifest, MANIFEST_NAME, SCRATCH_KEY_NAME } from './manifest.js';
import { hostLacks, unmeasuredJson } from '../host.js';

export { gramineManifest, gramineBuildCommands, MANIFEST_NAME } from './manifest.js';

/** With encrypted scratch, launch.json names the mount's key, which the provisioner sets inside the enclave. */
function withScratchKey(launchConfig: string, scratch: 'memory' | 'encrypted'): string {
  if (scratch === 'memory') return launchConfig;
  return JSON.stringify({ ...(JSON.parse(launchConfig) as object), scratchKey: SCRATCH_KEY_NAME }) + '\n';
}

/** The manifest, build/sign commands and host command for `req.step`. */
export function gramineLaunchPlan(req: PlanRequest): LaunchPlan {
  const scratch = scratchOf(req);
  const sizing = deriveSizing({ libos: 'gramine', threads: req.step.requirements.threads, ...(req.step.requirements.memory !== undefined ? { memory: req.step.requirements.memory } : {}), inputBytes: req.inputBytes, scratch, edmm: false }, req.overrides, `step ${req.step.id} (gramine)`);
  return {
    platform: 'gramine',
    sizing,
    files: { [`${MANIFEST_NAME}.manifest.template`]: gramineManifest({ node: req.node, tools: req.tools, installDir: req.installDir, sizing, scratch }), 'launch.json': withScratchKey(req.launchConfig, scratch) },
    build: gramineBuildCommands(req.signingKey),
    run: [`printf %s '<unmeasured values as JSON>' > ${UNMEASURED_FILE}`, `gramine-sgx ${MANIFEST_NAME}`],
    notes: [
      `Copy launch.json and the provisioner to ${req.installDir} on the owner's side before signing: both are trusted files.`,
      `The host receives ${MANIFEST_NAME}.manifest.sgx and ${MANIFEST_NAME}.sig only; the signing key stays with the owner.`,
      `Every distinct enclave size (${sizing.enclaveSize} bytes) and thread-slot count (${sizing.threadSlots}) is a distinct MRENCLAVE: add each to the policy (sealflow tee measure, sealflow policy add-measurement).`,
    ],
  };
}

export const graminePlatform: TeePlatform = {
  name: 'gramine',
  isTee: true,
  evidence: 'sgx',
  hostNeeds: { files: [{ path: '/dev/sgx_enclave', what: 'the SGX driver' }], commands: ['gramine-sgx'] },
  get launchNeeds() {
    // sealflow run builds and signs the enclave on the master (src/master/gramine-enclave.ts) and ships it.
    return hostLacks(['/dev/sgx_enclave'], ['gramine-sgx', 'gramine-manifest', 'gramine-sgx-sign'], 'SGX hardware and Gramine');
  },
  /** The master builds and signs the enclave; the host's SGX device and gramine-sgx are hostNeeds. */
  get masterNeeds() {
    return hostLacks([], ['gramine-manifest', 'gramine-sgx-sign'], 'Gramine on the master, which builds and signs the enclave with the owner\'s key');
  },
  satisfies: (req) => req === 'none' || req === 'any' || req === 'sgx',
  refuses(step, opts) {
    return teeRefusal(this, step, opts);
  },
  /**
   * argv and the environment of the measured program are fixed by the signed
   * manifest; the unmeasured values go into unmeasured.json in the worker's
   * directory (an allowed file the provisioner parses), and the loader itself
   * gets only the allow-list. `spec.args` are [address, slot, bundle].
   */
  launch(spec: LaunchSpec): LaunchCommand {
    return { command: 'sh', args: ['-c', `printf %s "$1" > ${UNMEASURED_FILE} && exec gramine-sgx ${MANIFEST_NAME}`, 'sealflow-gramine', unmeasuredJson(spec.args, spec.env)], env: allowedEnv(spec.env), cwd: spec.workDir };
  },
};
