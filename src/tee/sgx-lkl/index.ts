/**
 * Platform `sgx-lkl` (SGX, the Linux Kernel Library): SecDATAVIEW ran its
 * workers under it. The project is ARCHIVED upstream (lsds/sgx-lkl, no
 * maintained release), so this platform is small and tested only by what it
 * generates: the disk image description, the app configuration JSON and the
 * `sgx-lkl-run-oe` launch. The app configuration fixes argv and the
 * environment (`args`, `environment`) and is part of the measured enclave
 * configuration; `host_import_env` is empty.
 */
import { deriveSizing } from '../sizing.js';
import { scratchOf, measuredFiles, type LaunchPlan, type PlanRequest } from '../plan.js';
import { allowedEnv, teeRefusal, UNMEASURED_FILE, type LaunchCommand, type LaunchSpec, type TeePlatform } from '../platform.js';
import { hostLacks, RUN_NOT_WIRED, unmeasuredJson } from '../host.js';

export const APP_CONFIG = 'sealflow-app-config.json';
export const ENCLAVE_CONFIG = 'sealflow-enclave-config.json';
export const DISK_IMAGE = 'sealflow-rootfs.img';

export function sgxLklLaunchPlan(req: PlanRequest): LaunchPlan {
  const r = req.step.requirements;
  const sizing = deriveSizing({ libos: 'sgx-lkl', threads: r.threads, ...(r.memory !== undefined ? { memory: r.memory } : {}), inputBytes: req.inputBytes, scratch: scratchOf(req), edmm: false }, req.overrides, `step ${req.step.id} (sgx-lkl)`);
  const app = {
    format_version: 1,
    run: req.node.path,
    args: ['--', `${req.installDir}/provisioner.mjs`, `${req.installDir}/launch.json`],
    environment: ['PATH=/usr/bin:/bin', 'HOME=/scratch', 'LANG=C.UTF-8'],
    host_import_env: [],
    cwd: '/host',
    disk_config: { root: { image_path: DISK_IMAGE, mount_point: '/', readonly: true, verity: true }, mounts: [{ image_path: 'host', mount_point: '/host', readonly: false }] },
    sizes: { num_ethreads: sizing.threadSlots - 2 },
  };
  const enclave = { format_version: 1, mode: 'hw_release', max_user_threads: sizing.threadSlots, ethreads: sizing.threadSlots - 2, heap_size: sizing.enclaveSize, stack_size: 8 * 2 ** 20 };
  return {
    platform: 'sgx-lkl',
    sizing,
    files: {
      [APP_CONFIG]: JSON.stringify(app, null, 2) + '\n',
      [ENCLAVE_CONFIG]: JSON.stringify(enclave, null, 2) + '\n',
      'rootfs.txt': [...measuredFiles([req.node, ...req.tools]), `${req.installDir}/provisioner.mjs`, `${req.installDir}/launch.json`].join('\n') + '\n',
      'launch.json': req.launchConfig,
    },
    build: [`sgx-lkl-disk create --size=${Math.max(1, Math.ceil(sizing.footprint / 2 ** 30))}G --verity --alpine=<packages> ${DISK_IMAGE}  # files of rootfs.txt`],
    run: [`mkdir -p host && printf %s '<unmeasured values as JSON>' > host/${UNMEASURED_FILE}`, `sgx-lkl-run-oe --hw-release --enclave-config=${ENCLAVE_CONFIG} --host-config=host-config.json ${APP_CONFIG}`],
    notes: [
      'SGX-LKL is archived upstream (no maintained release): prefer gramine or occlum; this plan exists to reproduce SecDATAVIEW\'s configuration.',
      'Its guest attestation interface is not wired in sealflow: such a worker sends no evidence, and the master refuses it.',
    ],
  };
}

export const sgxLklPlatform: TeePlatform = {
  name: 'sgx-lkl',
  isTee: true,
  evidence: 'sgx',
  hostNeeds: { files: [{ path: '/dev/sgx_enclave', what: 'the SGX driver' }], commands: ['sgx-lkl-run-oe'] },
  masterNeeds: RUN_NOT_WIRED,
  get launchNeeds() {
    return hostLacks(['/dev/sgx_enclave'], ['sgx-lkl-run-oe'], 'SGX hardware and SGX-LKL (archived upstream)') ?? RUN_NOT_WIRED;
  },
  satisfies: (req) => req === 'none' || req === 'any' || req === 'sgx',
  refuses(step, opts) {
    return teeRefusal(this, step, opts);
  },
  launch(spec: LaunchSpec): LaunchCommand {
    const [address = '', slot = '', bundle = ''] = spec.args;
    return {
      command: 'sh',
      args: ['-c', `mkdir -p host && cp -- "$2" host/executor.bundle && printf %s "$1" > host/${UNMEASURED_FILE} && exec sgx-lkl-run-oe --hw-release --enclave-config=${ENCLAVE_CONFIG} ${APP_CONFIG}`, 'sealflow-sgx-lkl', unmeasuredJson([address, slot, '/host/executor.bundle'], spec.env), bundle],
      env: allowedEnv(spec.env),
      cwd: spec.workDir,
    };
  },
};
