/** Where the shared test data lives: first existing of $SEALFLOW_SHARED, REPO/../shared, /work/shared. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './cli.js';

export const SHARED: string =
  [process.env['SEALFLOW_SHARED'], path.join(REPO, '..', 'shared'), '/work/shared'].find(
    (p): p is string => typeof p === 'string' && p !== '' && existsSync(p),
  ) ?? path.join(REPO, '..', 'shared');

/** Absolute path of a file under shared/testdata/attestation/. */
export function attestationData(...parts: string[]): string {
  return path.join(SHARED, 'testdata', 'attestation', ...parts);
}

export function readAttestationData(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(attestationData(...parts)));
}
