/**
 * Platform `none` with encryption (docs/protocol.md §6a): the provisioner and
 * the attested executor run as plain processes, without a TEE and without
 * evidence. The broker admits such a worker only on a `local` deployment (or
 * under a policy with `allowUnattested: true`) and says "no TEE" wherever the
 * run reports on it: console, journal, receipt.
 */
import { writeFileSync } from 'node:fs';
import type { EvidenceSource } from '../protocol/launch-config.js';
import { launchConfigText } from '../tee/sim/measure.js';
import type { AttestedWorker } from './broker/types.js';

export const NONE_EVIDENCE: EvidenceSource = { kind: 'none' };

/** The launch configuration of a platform-none provisioner: the master pin, no evidence. */
export function writeNoneLaunchConfig(file: string, pin: string): void {
  writeFileSync(file, launchConfigText(pin, NONE_EVIDENCE), { mode: 0o644 });
}

export const NONE_RUN_WARNING = 'platform none: NO TEE — workers run as plain processes, nothing is attested, file keys are released to them without evidence (data is still encrypted at rest and in transit)';

/** The console line for a worker the broker admitted. */
export function admittedLine(slot: string, w: AttestedWorker): string {
  if (w.claims === null) return `sealflow: worker ${slot}: no TEE (platform none), not attested: keys are released to it without evidence (${w.connector} deployment ${w.deployment})\n`;
  return `sealflow: worker ${slot} attested: ${w.claims.platform} evidence${w.claims.platform === 'sim' ? ' (NOT a TEE)' : ''}, measurement ${w.claims.measurement.slice(0, 16)}…\n`;
}
