/** Steps, plan requests and hostile launch inputs shared by the TEE platform tests. */
import type { Step } from '../../src/workflow/model.js';
import type { MeasuredBinary, PlanRequest } from '../../src/tee/plan.js';
import type { LaunchSpec } from '../../src/tee/platform.js';
import { launchConfigText } from '../../src/tee/sim/measure.js';

const loc = { file: '/work/flow.yaml', line: 1, column: 1 };

/** A command step like the Bowtie2 study's `bowtie2-align-s -p <threads>`. */
export function alignStep(threads: number, o: { tee?: Step['requirements']['tee']; memory?: number; shell?: boolean } = {}): Step {
  return {
    id: 'align',
    run: { kind: 'command', argv: ['bowtie2-align-s', '-p', '$(threads)', '-x', '$(index)/ref', '-U', '$(reads)', '-S', 'out.sam'], shell: o.shell ?? false, outputs: {}, env: {} },
    inputs: [],
    outputs: [],
    scatter: [],
    requirements: { threads, tee: o.tee ?? 'sgx', ...(o.memory !== undefined ? { memory: o.memory } : {}) },
    retries: 0,
    loc,
  };
}

export const NODE: MeasuredBinary = { path: '/usr/bin/node', libs: ['/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib64/ld-linux-x86-64.so.2'] };
export const BOWTIE2: MeasuredBinary = { path: '/usr/bin/bowtie2-align-s', libs: ['/lib/x86_64-linux-gnu/libz.so.1', '/lib/x86_64-linux-gnu/libc.so.6'] };
export const PIN = 'a'.repeat(64);

export function planRequest(step: Step, o: Partial<PlanRequest> = {}): PlanRequest {
  return {
    step,
    inputBytes: 4 * 2 ** 30, // the study's hg38 index is ~3.5 GiB
    node: NODE,
    tools: [BOWTIE2],
    installDir: '/opt/sealflow',
    launchConfig: launchConfigText(PIN, { kind: 'gramine' }),
    signingKey: '/home/owner/enclave-key.pem',
    ...o,
  };
}

/** The environment names a host could use to change what node runs (docs/tee-platforms.md). */
export const HOSTILE_ENV: Readonly<Record<string, string>> = {
  NODE_OPTIONS: '--require=/tmp/sealflow-evil.cjs',
  NODE_EXTRA_CA_CERTS: '/tmp/sealflow-evil-ca.pem',
  NODE_TLS_REJECT_UNAUTHORIZED: '0',
  OPENSSL_CONF: '/tmp/sealflow-evil-openssl.cnf',
  SSL_CERT_FILE: '/tmp/sealflow-evil-ca.pem',
  NODE_PATH: '/tmp/sealflow-evil-modules',
  LD_PRELOAD: '/tmp/sealflow-evil.so',
};

/** Arguments a host could try in place of the unmeasured values. */
export const HOSTILE_ARGS: readonly string[] = ['--require=/tmp/sealflow-evil.cjs', '-e', 'process.exit(0)', '--inspect=0.0.0.0:9229'];

export const BENIGN: LaunchSpec = { program: '/opt/sealflow/provisioner.mjs', args: ['master.example:7443', 'w-1', '/work/w-1/executor.bundle'], env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' }, workDir: '/work/w-1' };
export const HOSTILE: LaunchSpec = { ...BENIGN, args: HOSTILE_ARGS, env: { ...BENIGN.env, ...HOSTILE_ENV } };
