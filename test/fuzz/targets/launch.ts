/**
 * Fuzz targets: what a measured provisioner reads at start — unmeasured.json,
 * written by the untrusted host (src/worker/provisioner/unmeasured.ts), and
 * its launch configuration (src/protocol/launch-config.ts).
 */
import { parseUnmeasured, UnmeasuredError } from '../../../src/worker/provisioner/unmeasured.js';
import { parseLaunchConfig } from '../../../src/protocol/launch-config.js';
import type { FuzzTarget } from '../target.js';

const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
const utf8 = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

export const targets: FuzzTarget[] = [
  {
    name: 'tee-unmeasured',
    seeds: () => [text('{"version":1,"master":"127.0.0.1:7443","slot":"enclaves-1","bundle":"/host/executor.bundle"}'), text('{"version":1,"master":"[::1]:1","slot":"a","bundle":"b"}')],
    run: (input) => parseUnmeasured(utf8(input)),
    isOwnError: (e) => e instanceof UnmeasuredError,
  },
  {
    name: 'tee-launch-config',
    seeds: () => [text(`{"version":1,"pin":"${'a'.repeat(64)}","evidence":{"kind":"gramine","root":"/dev/attestation"}}`), text(`{"version":1,"pin":"${'b'.repeat(64)}","evidence":{"kind":"sim","socket":"sim-evidence.sock"}}`)],
    run: (input) => parseLaunchConfig(utf8(input)),
    isOwnError: (e) => e instanceof Error && e.message.startsWith('invalid launch configuration'),
  },
];
