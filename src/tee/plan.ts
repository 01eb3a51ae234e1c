/**
 * What `sealflow tee plan` writes for a person to inspect, and what the SGX
 * and CVM platforms generate for one step: the files (manifest, Occlum.json,
 * image description, …) and the commands the owner (build, sign, measure) and
 * the worker host (run) would execute. Pure: nothing here runs anything.
 */
import type { Step } from '../workflow/model.js';
import type { PlatformName } from './platform.js';
import type { Sizing, SizingOverrides } from './sizing.js';

/** A program that must be inside the measurement: its path (same on the owner's side and in the TEE) and its shared libraries (from `ldd`). */
export interface MeasuredBinary {
  readonly path: string;
  readonly libs: readonly string[];
}

export interface PlanRequest {
  readonly step: Step;
  /** The total size of the step's inputs, bytes. */
  readonly inputBytes: number;
  /** Per-deployment overrides; `scratch: encrypted` puts scratch on an encrypted mount instead of enclave memory. */
  readonly overrides?: SizingOverrides & { readonly scratch?: 'memory' | 'encrypted' };
  /** The pinned `node` and its libraries. */
  readonly node: MeasuredBinary;
  /** For a command step: its tool binaries (argv[0] resolved on the fixed PATH) and their libraries. */
  readonly tools: readonly MeasuredBinary[];
  /** Where the provisioner and launch.json are installed (trusted files; same path on the host). */
  readonly installDir: string;
  /** The canonical launch.json text (docs/protocol.md §3). */
  readonly launchConfig: string;
  /** The owner's enclave signing key (a path on the owner's machine; it never leaves it). */
  readonly signingKey: string;
}

export interface LaunchPlan {
  readonly platform: PlatformName;
  /** The SGX platforms' sizing; absent for cvm. */
  readonly sizing?: Sizing;
  /** Generated files: name -> contents. */
  readonly files: Readonly<Record<string, string>>;
  /** Run on the owner's (or master's) side: build, sign, measure. */
  readonly build: readonly string[];
  /** Run on the worker host by the connector. */
  readonly run: readonly string[];
  /** What a person must know (one sentence each). */
  readonly notes: readonly string[];
}

/** A step this platform cannot run: the plan is refused with this reason. */
export class PlanRefusal extends Error {}

/** Every file path a set of binaries needs, deduplicated, in a stable order. */
export function measuredFiles(bins: readonly MeasuredBinary[]): string[] {
  return [...new Set(bins.flatMap((b) => [b.path, ...b.libs]))].sort();
}

/** The step's scratch mode and its input size, for the sizing rules. */
export function scratchOf(req: PlanRequest): 'memory' | 'encrypted' {
  return req.overrides?.scratch ?? 'memory';
}
