/**
 * The worker's part of §10.1–§10.2 for an attempt's outputs: every
 * Directory output becomes a sealed directory (one age file of its tar
 * stream, at the same path, with size and SHA-256), and every non-file port
 * value a sealed value, both to the run's recipients. File outputs are
 * sealed by the caller as before.
 */
import { sealSmall } from '../../crypto/oneshot.js';
import type { Recipient } from '../../crypto/types.js';
import { directoryPaths, mapPathValues, sealPortValues } from '../../protocol/sealed-values.js';
import type { PortValue } from '../../workflow/model.js';
import { sealDirectoryInPlace } from './sealed-dirs.js';

export async function sealDirectoriesAndValues(outputs: Readonly<Record<string, PortValue>>, recipients: readonly Recipient[]): Promise<Record<string, PortValue>> {
  const sealedDirs = new Map<string, { size: number; sha256: string }>();
  for (const dir of directoryPaths(outputs)) sealedDirs.set(dir, await sealDirectoryInPlace(dir, recipients));
  const withDirs = mapPathValues(outputs, (v) => (v.class === 'Directory' ? { class: 'Directory', path: v.path, ...sealedDirs.get(v.path) } : v));
  return sealPortValues(withDirs, (json) => sealSmall(recipients, Buffer.from(json, 'utf8')));
}
