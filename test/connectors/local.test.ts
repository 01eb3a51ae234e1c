import { localConnector } from '../../src/connectors/local/index.js';
import { runConnectorContract } from './contract.js';

runConnectorContract({ connector: localConnector });
