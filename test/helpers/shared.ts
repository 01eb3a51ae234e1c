/** The shared test data folder: first existing of $SEALFLOW_SHARED, REPO/../shared, /work/shared. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './cli.js';

export const SHARED: string =
  [process.env['SEALFLOW_SHARED'], path.join(REPO, '..', 'shared'), '/work/shared'].find(
    (p): p is string => p !== undefined && p !== '' && existsSync(p),
  ) ?? path.join(REPO, '..', 'shared');

export const ATTESTATION_DATA = path.join(SHARED, 'testdata', 'attestation');
