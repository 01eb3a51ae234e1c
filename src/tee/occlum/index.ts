/**
 * Platform `occlum` (SGX, Occlum LibOS): generates `Occlum.json` and the
 * commands that build the image; tests check what it generates.
 *
 * Occlum measures the image (its file-system MAC is bound into the signed
 * enclave) but NOT the arguments of `occlum run`: a host could run
 * `node -e …` with the same MRENCLAVE. So the image's only entry point is a
 * Node single-executable application with the provisioner embedded
 * (`/bin/sealflow-provisioner`, built with `node --experimental-sea-config`),
 * which takes no Node options from argv; NODE_OPTIONS is fixed empty in
 * `env.default`, and only the unmeasured values of docs/protocol.md §3 are
 * `env.untrusted`. launch.json is inside the image.
 */
import type { LaunchCommand, LaunchSpec, TeePlatform } from '../platform.js';

export interface OcclumOptions {
  readonly userSpaceSize: string;
  readonly maxThreads: number;
  /** ISV product id and SVN of the owner-signed enclave. */
  readonly productId: number;
  readonly versionNumber: number;
}

export const ENTRY = '/bin/sealflow-provisioner';
export const LAUNCH_CONFIG = '/etc/sealflow/launch.json';

export function occlumJson(o: OcclumOptions): Record<string, unknown> {
  return {
    resource_limits: { user_space_size: o.userSpaceSize, kernel_space_heap_size: '64MB', max_num_of_threads: o.maxThreads },
    process: { default_stack_size: '4MB', default_heap_size: '256MB', default_mmap_size: '4000MB' },
    entry_points: ['/bin'],
    env: { default: ['NODE_OPTIONS=', 'HOME=/scratch'], untrusted: ['SEALFLOW_MASTER_ADDRESS', 'SEALFLOW_SLOT', 'SEALFLOW_BUNDLE', 'SEALFLOW_TICKET'] },
    metadata: { product_id: o.productId, version_number: o.versionNumber, debuggable: false, enable_kss: false, family_id: { high: '0x0', low: '0x0' }, ext_prod_id: { high: '0x0', low: '0x0' } },
    feature: { amx: 0, pkru: 0, enable_edmm: false, enable_posix_shm: false },
    mount: [
      { target: '/', type: 'unionfs', options: { layers: [{ target: '/', type: 'sefs', source: './build/mount/__ROOT', options: { MAC: '' } }, { target: '/', type: 'sefs', source: './run/mount/__ROOT' }] } },
      { target: '/host', type: 'hostfs', source: '.' },
      { target: '/proc', type: 'procfs' },
      { target: '/dev', type: 'devfs' },
      { target: '/scratch', type: 'ramfs' },
    ],
  };
}

/** The SEA configuration that embeds the provisioner into the entry binary. */
export function seaConfig(provisionerJs: string): Record<string, unknown> {
  return { main: provisionerJs, output: 'sealflow-provisioner.blob', disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false };
}

/** Build steps on the worker host (signing key held by the owner). */
export function occlumBuildCommands(seaBinary: string, launchJson: string, signingKey: string): string[] {
  return [
    'occlum init',
    `cp ${seaBinary} image${ENTRY}`,
    `mkdir -p image/etc/sealflow && cp ${launchJson} image${LAUNCH_CONFIG}`,
    `occlum build --sign-key ${signingKey}`,
  ];
}

export const occlumPlatform: TeePlatform = {
  name: 'occlum',
  isTee: true,
  evidence: 'sgx',
  launchNeeds: 'SGX hardware (/dev/sgx_enclave), Occlum, and a signed Occlum image embedding node and the provisioner (src/tee/occlum/); this version does not launch occlum workers yet',
  satisfies: (req) => req === 'none' || req === 'any' || req === 'sgx',
  launch(spec: LaunchSpec): LaunchCommand {
    const [address = '', slot = '', bundle = ''] = spec.args;
    return {
      command: 'occlum',
      args: ['run', ENTRY, LAUNCH_CONFIG],
      env: { ...spec.env, SEALFLOW_MASTER_ADDRESS: address, SEALFLOW_SLOT: slot, SEALFLOW_BUNDLE: bundle, OCCLUM_RELEASE_ENCLAVE: '1' },
      cwd: spec.workDir,
    };
  },
};
