/**
 * The worker's part of §10.1–§10.2 for an attempt's outputs: every
 * Directory output becomes a sealed directory (one age file of its tar
 * stream, at the same path, with size and SHA-256), and every non-file port
 * value a sealed value, both to the run's recipients. File outputs are
 * sealed by the caller as before. `source` says where a directory's
 * plaintext is when it is not at the value's path (sealed attempts keep it
 * in scratch and write the age file at the path, §10.8).
 */
import { sealSmall } from '../../crypto/oneshot.js';
import type { Recipient } from '../../crypto/types.js';
import { directoryPaths, mapPathValues, sealPortValues } from '../../protocol/sealed-values.js';
import type { PortValue } from '../../workflow/model.js';
import { sealDirectoryInPlace, sealDirectoryInto } from '../../protocol/sealed-dirs.js';

export async function sealDirectoriesAndValues(
  outputs: Readonly<Record<string, PortValue>>,
  recipients: readonly Recipient[],
  source: (path: string) => string = (p) => p,
): Promise<Record<string, PortValue>> {
  const sealedDirs = new Map<string, { size: number; sha256: string }>();
  for (const dir of directoryPaths(outputs)) {
    const from = source(dir);
    sealedDirs.set(dir, from === dir ? await sealDirectoryInPlace(dir, recipients) : await sealDirectoryInto(from, dir, recipients));
  }
  const withDirs = mapPathValues(outputs, (v) => (v.class === 'Directory' ? { class: 'Directory', path: v.path, ...sealedDirs.get(v.path) } : v));
  return sealPortValues(withDirs, (json) => sealSmall(recipients, Buffer.from(json, 'utf8')));
}
