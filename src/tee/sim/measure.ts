/**
 * What the sim launcher measures (docs/protocol.md §3): the provisioner file
 * (the one-file bundle, src/tee/provisioner-bundle.ts) and its launch
 * configuration, exactly as launched. 48 bytes (SHA-384),
 * the size of the sim evidence MEASUREMENT field.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { EvidenceSource, LaunchConfig } from '../../protocol/launch-config.js';
import { lengthPrefixed } from '../../protocol/wcpac-crypto.js';
import { provisionerBundle } from '../provisioner-bundle.js';

export function simMeasurement(provisioner: Uint8Array, launchConfig: Uint8Array): Buffer {
  return createHash('sha384').update(lengthPrefixed(['sealflow-sim-measurement-v1', provisioner, launchConfig])).digest();
}

/** The launch configuration text for a master pin: canonical, so its measurement is reproducible. */
export function launchConfigText(pin: string, evidence: EvidenceSource): string {
  const c: LaunchConfig = { version: 1, pin, evidence };
  return JSON.stringify(c) + '\n';
}

export const SIM_EVIDENCE: EvidenceSource = { kind: 'sim', socket: 'sim-evidence.sock' };

/** The reference sim measurement of this sealflow's provisioner (the bytes every platform launches) for a master pin (`sealflow policy init`). */
export function referenceSimMeasurement(pin: string, provisionerPath?: string): string {
  const provisioner = provisionerPath === undefined ? provisionerBundle().code : readFileSync(provisionerPath);
  return simMeasurement(provisioner, Buffer.from(launchConfigText(pin, SIM_EVIDENCE))).toString('hex');
}

/** Writes the sim launch configuration for `pin` to `file` (0644; it is public). */
export function writeSimLaunchConfig(file: string, pin: string): void {
  writeFileSync(file, launchConfigText(pin, SIM_EVIDENCE), { mode: 0o644 });
}
