/**
 * The run configuration model (`sealflow.yaml`, docs/workflow-format.md):
 * deployments (a connector, a TEE platform, options) and bindings of steps to
 * them. Later issues add connectors and platforms by extending the unions and
 * tables below; nothing else here should need to change.
 */
import type { SourceLocation } from '../../errors.js';
import type { Step, TeeRequirement } from '../../workflow/model.js';
import type { ToolPins } from '../../workflow/tools.js';

/** Where workers run. Later: 'ssh' | 'slurm'. */
export type ConnectorKind = 'local';
/** The TEE the workers run in. Later: 'sim' | 'gramine' | 'occlum' | 'cvm'. */
export type PlatformKind = 'none' | 'sim';

export const CONNECTORS: readonly ConnectorKind[] = ['local'];
export const PLATFORMS: readonly PlatformKind[] = ['none', 'sim'];

/** Connector-specific keys a deployment may carry (they land in `Deployment.options`). */
export const CONNECTOR_OPTION_KEYS: Readonly<Record<ConnectorKind, readonly string[]>> = { local: ['transfers'] };
/** Platform-specific keys a deployment may carry (they land in `Deployment.options`). */
export const PLATFORM_OPTION_KEYS: Readonly<Record<PlatformKind, readonly string[]>> = { none: ['policy'], sim: ['policy'] };

/**
 * The `tee` requirements each platform satisfies. `none` (no TEE, the
 * master's own machine) satisfies only `tee: none`.
 */
/** `sim` stands for any TEE only because the local policy allows simulation (and every run says so). */
export const PLATFORM_SATISFIES: Readonly<Record<PlatformKind, readonly TeeRequirement[]>> = { none: ['none'], sim: ['none', 'any', 'sgx', 'sev-snp', 'tdx'] };

export function platformSatisfies(platform: PlatformKind, tee: TeeRequirement): boolean {
  return PLATFORM_SATISFIES[platform].includes(tee);
}

export interface Deployment {
  readonly id: string;
  readonly connector: ConnectorKind;
  readonly platform: PlatformKind;
  /** Workers to start (each runs one step instance at a time). At least 1. */
  readonly workers: number;
  /** Connector- and platform-specific settings. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly loc: SourceLocation;
}

export type BindingMatch = { readonly step: string } | { readonly tee: TeeRequirement };

export interface Binding {
  readonly match: BindingMatch;
  readonly deployment: string;
  readonly loc: SourceLocation;
}

export interface RunConfig {
  /** Absolute path of the sealflow.yaml it came from; absent for the built-in default. */
  readonly file?: string;
  /** In file order; ids are unique. */
  readonly deployments: readonly Deployment[];
  /** Id of the deployment of steps no binding matches. */
  readonly defaultDeployment: string;
  /** First match wins. */
  readonly bindings: readonly Binding[];
  /** Cores in use at once across all deployments (a running step counts its `requirements.threads`). At least 1. */
  readonly concurrency: number;
  /** `path:` — the fixed PATH of command steps (encrypted runs default to DEFAULT_TOOL_PATH; plain runs inherit the worker's unless given). */
  readonly path?: string;
  /** `tools:` — SHA-256 pins checked before a command step executes the tool (docs/protocol.md §10.3). */
  readonly tools?: ToolPins;
}

export function bindingMatches(b: Binding, step: Step): boolean {
  return 'step' in b.match ? b.match.step === step.id : b.match.tee === step.requirements.tee;
}

/** The binding that places `step`, if any (first match wins). */
export function bindingFor(config: RunConfig, step: Step): Binding | undefined {
  return config.bindings.find((b) => bindingMatches(b, step));
}

/** The deployment `step` runs on: its first matching binding's, else the default. */
export function deploymentFor(config: RunConfig, step: Step): Deployment {
  const id = bindingFor(config, step)?.deployment ?? config.defaultDeployment;
  const d = config.deployments.find((x) => x.id === id);
  if (d === undefined) throw new Error(`run configuration names unknown deployment '${id}' (loadRunConfig should have refused it)`);
  return d;
}
