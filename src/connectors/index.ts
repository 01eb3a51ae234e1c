/**
 * The one registry of connectors: every connector this version has, by name.
 * Connector names everywhere else (the run configuration, error messages)
 * derive from it; a new connector adds one line here.
 */
import type { Connector, ConnectorName } from './connector.js';
import { localConnector } from './local/index.js';
import { sshConnector } from './ssh/index.js';
import { slurmConnector } from './slurm/connector.js';

const CONNECTORS: Readonly<Record<ConnectorName, Connector>> = { local: localConnector, ssh: sshConnector, slurm: slurmConnector };

/** Every registered connector's name, in registry order. */
export const CONNECTOR_NAMES: readonly ConnectorName[] = Object.keys(CONNECTORS) as ConnectorName[];

/** The connector, or null if this version has none of that name. */
export function connectorByName(name: string): Connector | null {
  return Object.hasOwn(CONNECTORS, name) ? (CONNECTORS[name as ConnectorName] ?? null) : null;
}
