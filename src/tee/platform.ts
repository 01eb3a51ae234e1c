/**
 * A TEE platform: how a worker program is launched, and what the launched
 * worker can prove about itself. One folder per platform: `none/` (no TEE;
 * the master's own machine), `sim/` (simulated, NOT a TEE), `gramine/`,
 * `occlum/`, `cvm/`; all registered in one registry (`index.ts`).
 *
 * The connector decides *where* a worker runs (local, ssh, slurm); the
 * platform decides *how* it starts there (plain `node`, `gramine-sgx`,
 * `occlum run`, inside a confidential VM) and which evidence it yields. For
 * attested platforms the launched program is the provisioner, and its launch
 * configuration (master address, master-key pin) must be part of what the
 * platform measures (DESIGN.md, "What the measurement covers").
 */
import type { Platform as EvidencePlatform } from '../attestation/verifier.js';
import type { Step, TeeRequirement } from '../workflow/model.js';

export type PlatformName = 'none' | 'sim' | 'gramine' | 'occlum' | 'cvm' | 'sgx-lkl';

/**
 * The whole environment a launched program may get, by name: every platform's
 * `launch` keeps these and drops every other name the host handed it
 * (`NODE_OPTIONS`, `LD_PRELOAD`, `OPENSSL_CONF`, … — see docs/tee-platforms.md).
 * Under the SGX platforms the measured program's environment is fixed in the
 * manifest instead and this list only reaches the LibOS loader; under `cvm` the
 * fixed unit sets it.
 */
export const ENV_ALLOW_LIST = ['PATH', 'LANG', 'HOME', 'SEALFLOW_DEBUG', 'SEALFLOW_WORKER_CPU_PROF', 'SEALFLOW_TICKET'] as const;

/** `env` without the names outside ENV_ALLOW_LIST. */
export function allowedEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ENV_ALLOW_LIST) if (Object.hasOwn(env, k) && typeof env[k] === 'string') out[k] = env[k];
  return out;
}

/**
 * The file (in the worker's directory) from which a measured provisioner reads the
 * unmeasured values of docs/protocol.md §3 — master address, slot, bundle path —
 * parsing it itself (src/worker/provisioner/unmeasured.ts); never argv or environment.
 */
export const UNMEASURED_FILE = 'unmeasured.json';

/** What to start: a Node.js program (the executor for `none`, the provisioner for attested platforms). */
export interface LaunchSpec {
  /** Absolute path of the program's entry file on the worker host. */
  readonly program: string;
  readonly args: readonly string[];
  /** The environment the program gets (nothing else is inherited). */
  readonly env: Readonly<Record<string, string>>;
  /** The worker's working directory (its scratch root). */
  readonly workDir: string;
}

/** The concrete process a connector starts on the worker host. */
export interface LaunchCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /**
   * Arguments that are absolute paths on the worker host by design (a cvm
   * deployment's image): a connector to another host passes these as they
   * are, and still refuses any other absolute path of the master's machine.
   */
  readonly hostPaths?: readonly string[];
}

export interface SatisfyOptions {
  /** The policy allows simulated evidence (`sim`) to stand for a TEE. */
  readonly allowSimulation: boolean;
}

/** What a worker host must have for a platform (`sealflow check` looks; nothing is run). */
export interface HostNeeds {
  /** Devices or files that must exist, e.g. `/dev/sgx_enclave`, each with what it is. */
  readonly files?: readonly { readonly path: string; readonly what: string }[];
  /** Programs that must be on the host's PATH, e.g. `gramine-sgx`. */
  readonly commands?: readonly string[];
}

export interface TeePlatform {
  readonly name: PlatformName;
  /** True only for hardware TEEs; `none` and `sim` are not. */
  readonly isTee: boolean;
  /** The evidence its workers produce, or null (`none`: keys are released without evidence, where the policy allows). */
  readonly evidence: EvidencePlatform | null;
  /**
   * Null when this version starts workers on the platform; otherwise what starting them needs that it
   * does not have (hardware, a signed image, launch support), one sentence for the start-time error.
   */
  readonly launchNeeds: string | null;
  /**
   * For a connector whose workers run on another host (ssh, slurm): what this machine, the master, needs to
   * start them, or null; the host's own device and launcher are `hostNeeds` (checked on the host). Absent: `launchNeeds`.
   */
  readonly masterNeeds?: string | null;
  /** What the worker host needs besides Node.js (absent: nothing). */
  readonly hostNeeds?: HostNeeds;
  /** Whether a worker on this platform may run a step with this `tee` requirement (the one rule: the run configuration and the engine ask this). */
  satisfies(req: TeeRequirement, opts: SatisfyOptions): boolean;
  /** How to start `spec` under this platform. Pure: the connector runs the result. */
  launch(spec: LaunchSpec): LaunchCommand;
  /** Why a worker on this platform cannot run `step` (one sentence naming the step), or null. */
  refuses(step: Step, opts: SatisfyOptions): string | null;
}

/** The reason shared by every platform for a step whose `tee` requirement it does not satisfy. */
export function teeRefusal(p: Pick<TeePlatform, 'name' | 'satisfies'>, step: Step, opts: SatisfyOptions): string | null {
  const tee = step.requirements.tee;
  return p.satisfies(tee, opts) ? null : `step ${step.id} requires tee: ${tee}, which platform ${p.name} does not provide; bind it to a deployment whose platform does`;
}
