/** The registry of connectors by name. Later connectors add one line each. */
import type { Connector, ConnectorName } from './connector.js';
import { localConnector } from './local/index.js';

const CONNECTORS: Partial<Record<ConnectorName, Connector>> = { local: localConnector };

/** The connector, or null if this build does not implement it yet. */
export function connectorByName(name: ConnectorName): Connector | null {
  return CONNECTORS[name] ?? null;
}
