/**
 * The owner's side of a `gramine` deployment in `sealflow run`
 * (docs/tee-platforms.md "gramine"): the master generates the manifest for
 * the deployment, builds and signs it with the owner's key (`gramine-manifest`,
 * `gramine-sgx-sign` on this machine; the key file is read by the signer here
 * and never shipped), and hands the connector the files the host receives —
 * the signed manifest, its SIGSTRUCT, the provisioner and launch.json (both
 * trusted files, installed in the worker's directory: installDir '.'). The
 * host runs `gramine-sgx` (the platform's launch); nothing it holds changes
 * what the enclave measures.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InputError, OperationError } from '../errors.js';
import { loadCollateral } from '../attestation/collateral.js';
import type { Collateral } from '../attestation/verifier.js';
import type { EvidenceSource } from '../protocol/launch-config.js';
import { TSM_ROOT } from '../protocol/launch-config.js';
import { sizingOverrides } from '../tee/deployment-sizing.js';
import { gramineLaunchPlan, MANIFEST_NAME } from '../tee/gramine/index.js';
import { LAUNCH_FILE, PROVISIONER_FILE } from '../tee/gramine/manifest.js';
import { onPath } from '../tee/host.js';
import { measuredBinary } from '../tee/ldd.js';
import { provisionerBundle } from '../tee/provisioner-bundle.js';
import { launchConfigText } from '../tee/sim/measure.js';
import type { Step } from '../workflow/model.js';

/** The deployment keys of an attested hardware deployment (besides `policy:` and the sizing keys). */
export const HARDWARE_OPTION_KEYS: readonly string[] = ['signingKey', 'collateral', 'verifyAt', 'attestationRoot', 'image', 'guest', 'vcpus', 'fwCfgRoot'];

/** A hardware deployment's compiled options (validated once, at start). */
export interface HardwareOptions {
  /** gramine, occlum: the owner's enclave signing key (a file on this machine; it never leaves it). */
  readonly signingKey?: string;
  /** Vendor collateral (PCK CRLs, TCB info, QE identity) the master verifies this deployment's evidence against. */
  readonly collateral?: Collateral;
  /**
   * Evidence and collateral are judged as of this time, not now: only for replaying recorded
   * evidence (its collateral has since expired); every decision is journalled `recorded: true`.
   */
  readonly verifyAt?: Date;
  /** Where the provisioner reads the guest evidence (measured in launch.json); default /dev/attestation (gramine), /dev (occlum), the configfs-tsm report directory (cvm). */
  readonly attestationRoot: string;
}

const where = (id: string, key: string): string => `deployment ${id}: ${key}`;

/** `options` of deployment `id` (platform `platform`) compiled; throws InputError naming the key and what to do. */
export function hardwareOptions(id: string, platform: string, options: Readonly<Record<string, unknown>>): HardwareOptions {
  const str = (k: string): string | undefined => {
    const v = options[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw new InputError(`${where(id, k)} must be a non-empty string`);
    return v;
  };
  const signingKey = str('signingKey');
  if (platform === 'gramine' || platform === 'occlum') {
    const gen = platform === 'gramine' ? 'gramine-sgx-gen-private-key' : 'openssl genrsa -3 3072';
    if (signingKey === undefined) throw new InputError(`${where(id, 'signingKey')} is missing: a ${platform} deployment names the owner's enclave signing key (an RSA-3072 PEM file, e.g. from ${gen}), with which the master signs the enclave; the key never leaves this machine`);
    try {
      accessSync(signingKey, constants.R_OK);
    } catch {
      throw new InputError(`${where(id, 'signingKey')}: ${signingKey} cannot be read on this machine; name the owner's key file (the key never leaves this machine)`);
    }
  }
  const file = str('collateral');
  let collateral: Collateral | undefined;
  if (file !== undefined) {
    if (!existsSync(file)) throw new InputError(`${where(id, 'collateral')}: ${file} does not exist; name the vendor collateral (a file or directory, docs/attestation-policy.md)`);
    collateral = loadCollateral(file);
  }
  const at = str('verifyAt');
  const verifyAt = at === undefined ? undefined : new Date(at);
  if (verifyAt !== undefined && (!/^\d{4}-\d\d-\d\dT/.test(at ?? '') || Number.isNaN(verifyAt.getTime()))) throw new InputError(`${where(id, 'verifyAt')}: ${at} is not an ISO 8601 time such as 2025-07-01T00:00:00Z`);
  // Gramine's attestation pseudo-files; Occlum's devfs quote files are in /dev; a CVM's configfs-tsm report directory.
  const attestationRoot = str('attestationRoot') ?? (platform === 'occlum' ? '/dev' : platform === 'cvm' ? TSM_ROOT : '/dev/attestation');
  if (!path.isAbsolute(attestationRoot)) throw new InputError(`${where(id, 'attestationRoot')}: ${attestationRoot} is not an absolute path`);
  return { ...(signingKey !== undefined ? { signingKey } : {}), ...(collateral !== undefined ? { collateral } : {}), ...(verifyAt !== undefined ? { verifyAt } : {}), attestationRoot };
}

/** The evidence source the provisioner is launched with on `platform` (part of launch.json, so measured). */
export function evidenceSource(platform: string, o: HardwareOptions): EvidenceSource {
  if (platform === 'gramine') return { kind: 'gramine', ...(o.attestationRoot !== '/dev/attestation' ? { root: o.attestationRoot } : {}) };
  if (platform === 'occlum') return { kind: 'occlum', ...(o.attestationRoot !== '/dev' ? { root: o.attestationRoot } : {}) };
  if (platform === 'cvm') return { kind: 'configfs-tsm', ...(o.attestationRoot !== TSM_ROOT ? { root: o.attestationRoot } : {}) };
  throw new OperationError(`platform ${platform} has no evidence source in sealflow run`);
}

/** The owner-side tools get PATH, HOME and LANG of this machine, nothing else. */
export function ownerEnv(): Record<string, string> {
  const env: Record<string, string> = { LANG: 'C.UTF-8' };
  for (const k of ['PATH', 'HOME']) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}

/** The step the deployment's one enclave is sized for: one thread unless the deployment's overrides say more (checkStepSizing refused every bound step that would not fit). */
export function deploymentStep(id: string): Step {
  const loc = { file: `deployment ${id}`, line: 1, column: 1 };
  return { id: `deployment-${id}`, run: { kind: 'command', argv: ['true'], shell: false, outputs: {}, env: {} }, inputs: [], outputs: [], scatter: [], requirements: { threads: 1, tee: 'sgx' }, retries: 0, loc };
}

/**
 * Builds and signs deployment `id`'s enclave in `dir` (the master's session
 * directory); returns the files the host receives, by name.
 */
export function buildGramineEnclave(dir: string, id: string, options: Readonly<Record<string, unknown>>, o: HardwareOptions, pin: string): Record<string, string> {
  const key = o.signingKey as string;
  for (const tool of ['gramine-manifest', 'gramine-sgx-sign']) {
    if (!onPath(tool)) throw new OperationError(`deployment ${id}: ${tool} is not on this machine's PATH; the master builds and signs the enclave with the owner's key, so Gramine must be installed here (docs/tee-platforms.md "gramine")`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const launchConfig = launchConfigText(pin, evidenceSource('gramine', o));
  const plan = gramineLaunchPlan({ step: deploymentStep(id), inputBytes: 0, overrides: sizingOverrides('gramine', options), node: measuredBinary(process.execPath), tools: [], installDir: '.', launchConfig, signingKey: key });
  for (const [name, text] of Object.entries(plan.files)) writeFileSync(path.join(dir, name), text);
  copyFileSync(provisionerBundle().path, path.join(dir, PROVISIONER_FILE));
  const steps: [string, string[]][] = [
    ['gramine-manifest', [`${MANIFEST_NAME}.manifest.template`, `${MANIFEST_NAME}.manifest`]],
    ['gramine-sgx-sign', ['--manifest', `${MANIFEST_NAME}.manifest`, '--output', `${MANIFEST_NAME}.manifest.sgx`, '--key', path.resolve(key)]],
  ];
  for (const [tool, args] of steps) {
    try {
      execFileSync(tool, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: ownerEnv() });
    } catch (e) {
      const err = (e as { stderr?: Buffer }).stderr?.toString().trim().split('\n').slice(-3).join(' ') ?? '';
      throw new OperationError(`deployment ${id}: ${tool} failed while the master built the enclave${err !== '' ? `: ${err}` : ''}; check the Gramine installation and the signing key`);
    }
  }
  for (const f of [`${MANIFEST_NAME}.manifest.sgx`, `${MANIFEST_NAME}.sig`]) {
    if (!existsSync(path.join(dir, f))) throw new OperationError(`deployment ${id}: gramine-sgx-sign wrote no ${f}`);
  }
  return {
    [`${MANIFEST_NAME}.manifest.sgx`]: path.join(dir, `${MANIFEST_NAME}.manifest.sgx`),
    [`${MANIFEST_NAME}.sig`]: path.join(dir, `${MANIFEST_NAME}.sig`),
    [PROVISIONER_FILE]: path.join(dir, PROVISIONER_FILE),
    [LAUNCH_FILE]: path.join(dir, LAUNCH_FILE),
  };
}
