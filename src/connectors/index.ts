/**
 * The one registry of connectors: every connector this version has, by name.
 * Connector names everywhere else (the run configuration, error messages)
 * derive from it; a new connector adds one line here. `local` is loaded
 * with the registry; the others (ssh, Slurm: ~30 modules) when a run or a
 * check first uses one, so a local run never compiles them.
 */
import type { Connector, ConnectorName } from './connector.js';
import { localConnector } from './local/index.js';

const LOADERS: Readonly<Record<ConnectorName, () => Promise<Connector>>> = {
  local: async () => localConnector,
  ssh: async () => (await import('./ssh/index.js')).sshConnector,
  slurm: async () => (await import('./slurm/connector.js')).slurmConnector,
};

/** Every registered connector's name, in registry order. */
export const CONNECTOR_NAMES: readonly ConnectorName[] = Object.keys(LOADERS) as ConnectorName[];

/** True if this version has a connector of that name (no inherited name is one). */
export function isConnectorName(name: string): name is ConnectorName {
  return Object.hasOwn(LOADERS, name);
}

/** The connector, loaded on first use; null if this version has none of that name. */
export async function connectorByName(name: string): Promise<Connector | null> {
  return isConnectorName(name) ? LOADERS[name]() : null;
}
