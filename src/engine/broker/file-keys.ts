/**
 * File keys the master has unwrapped, kept for the run (docs/protocol.md
 * §8.2). The task bundle is released to every step and an input may be
 * released to several consumers; unwrapping its file key is an X25519
 * agreement per stanza tried, so the broker unwraps each recorded ciphertext
 * once and keeps the key beside the hash it was recorded with. A key is
 * reused only for the same id AND the same recorded SHA-256 (a re-recorded
 * ciphertext is unwrapped afresh); every release still runs all of its
 * checks (§8). The keys live in the master's memory only — never journalled
 * or written — and are zeroed when the broker closes.
 */
import type { Header } from '../../crypto/filekey.js';
import type { Identity } from '../../crypto/types.js';
import { unwrapFileKey } from '../../crypto/unwrap.js';

const kept = new WeakMap<object, Map<string, { readonly sha256: string; readonly key: Uint8Array }>>();

/**
 * The file key of the ciphertext `id` recorded with `sha256` whose header is `header`.
 * Returns a copy: the caller zeroes it when done.
 */
export function fileKeyOf(broker: object, id: string, sha256: string, header: Header, identities: readonly Identity[]): Uint8Array {
  let m = kept.get(broker);
  if (!m) kept.set(broker, (m = new Map()));
  const k = m.get(id);
  if (k && k.sha256 === sha256) return Uint8Array.from(k.key);
  const key = unwrapFileKey(header, identities);
  if (k) k.key.fill(0);
  m.set(id, { sha256, key: Uint8Array.from(key) });
  return key;
}

/** Zeroes and drops every key kept for `broker`. */
export function forgetFileKeys(broker: object): void {
  const m = kept.get(broker);
  if (!m) return;
  for (const k of m.values()) k.key.fill(0);
  kept.delete(broker);
}
