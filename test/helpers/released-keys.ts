/** Opens a release's file keys as the worker does (docs/protocol.md §7.1): one exchange, then each entry for its step and hash. */
import type { KeyObject } from 'node:crypto';
import type { Release } from '../../src/master/broker/release.js';
import { fileKeyOpener, fileKeySealer } from '../../src/protocol/wcpac-crypto.js';

export function openReleased(keyReceivingKey: KeyObject, release: Release, step: string, index = 0): Buffer {
  const k = release.keys[index];
  if (!k || release.keyShare === null) throw new Error(`the release has no key ${index}`);
  return fileKeyOpener(keyReceivingKey, release.keyShare, release.keys.map((x) => x.wrappedKey)).open(step, k.sha256, k.wrappedKey);
}

/** Seals file keys for a worker as the master's release does (§7.1): the `keyShare` and one `wrappedKey` per entry, base64. */
export function sealForWorker(workerPublic: Uint8Array, step: string, entries: readonly { sha256: string; fileKey: Uint8Array }[]): { keyShare: string; wrappedKeys: string[] } {
  const sealer = fileKeySealer(workerPublic);
  try {
    return { keyShare: sealer.share.toString('base64'), wrappedKeys: entries.map((e) => sealer.seal(step, e.sha256, e.fileKey).toString('base64')) };
  } finally {
    sealer.dispose();
  }
}
