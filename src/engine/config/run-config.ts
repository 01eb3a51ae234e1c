/**
 * The run configuration model (`sealflow.yaml`, docs/workflow-format.md):
 * deployments (a connector, a TEE platform, options) and bindings of steps to
 * them. Connector and platform names come from their registries
 * (src/connectors/index.ts, src/tee/index.ts); a new connector adds its
 * option keys to the table below.
 */
import { HARDWARE_OPTION_KEYS } from '../../master/gramine-enclave.js';
import type { ConnectorName } from '../../connectors/connector.js';
import type { Advertise } from '../../master/advertise.js';
import { CONNECTOR_NAMES } from '../../connectors/index.js';
import { SSH_OPTION_KEYS } from '../../connectors/ssh/options.js';
import { SLURM_OPTION_KEYS } from '../../connectors/slurm/deployment.js';
import type { SourceLocation } from '../../errors.js';
import { PLATFORM_NAMES } from '../../tee/index.js';
import type { PlatformName } from '../../tee/platform.js';
import { SIZING_OPTION_KEYS } from '../../tee/deployment-sizing.js';
import type { TeeRequirement } from '../../workflow/model.js';
import type { ToolPins } from '../../workflow/tools.js';
import type { DeploymentData } from './data-deployment.js';

/** Where workers run: a registered connector (src/connectors/index.ts). */
export type ConnectorKind = ConnectorName;
/** The TEE the workers run in: a registered platform (src/tee/index.ts). */
export type PlatformKind = PlatformName;

export const CONNECTORS: readonly ConnectorKind[] = CONNECTOR_NAMES;
export const PLATFORMS: readonly PlatformKind[] = PLATFORM_NAMES;

/** Connector-specific keys a deployment may carry (they land in `Deployment.options`). */
export const CONNECTOR_OPTION_KEYS: Readonly<Partial<Record<ConnectorKind, readonly string[]>>> = {
  local: ['transfers'],
  ssh: ['transfers', 'reach', ...SSH_OPTION_KEYS],
  slurm: ['transfers', ...SLURM_OPTION_KEYS],
};
/**
 * `maxReprovisions: <n>` on any deployment: how many workers the run may
 * start to replace lost ones (and retry starting them) in that deployment;
 * past it the run fails naming the deployment and the host. Default: 3 per
 * worker (EngineDeployment, src/engine/workers.ts). Kept in `options`.
 */
export const MAX_REPROVISIONS = 'maxReprovisions';

/** Platform-specific keys a deployment may carry (they land in `Deployment.options`): every platform's attestation policy file; an SGX enclave's sizing (docs/tee-platforms.md). */
export const PLATFORM_OPTION_KEYS: readonly string[] = ['policy', ...SIZING_OPTION_KEYS, ...HARDWARE_OPTION_KEYS];

export interface Deployment {
  readonly id: string;
  readonly connector: ConnectorKind;
  readonly platform: PlatformKind;
  /** Workers to start (each runs one step instance at a time). At least 1. */
  readonly workers: number;
  /** Connector- and platform-specific settings. */
  readonly options: Readonly<Record<string, unknown>>;
  /** `data:` — ciphertexts already on its hosts, from signed manifests (docs/connectors/data-in-place.md). */
  readonly data?: DeploymentData;
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
  /** `advertise:` — the one address the master's ports listen on and workers dial (default loopback, any free port). */
  readonly advertise?: Advertise;
}
