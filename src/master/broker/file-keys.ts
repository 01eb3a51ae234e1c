/**
 * File keys the master has unwrapped, kept for the run (docs/protocol.md
 * §8.2, §16.3). The task bundle is released to every step and an input may
 * be released to several consumers; unwrapping its file key is an X25519
 * agreement, so the broker unwraps each recorded ciphertext once and keeps
 * the key beside the hash it was recorded with. A key is reused only for the
 * same id AND the same recorded SHA-256 (a re-recorded ciphertext is
 * unwrapped afresh); every release still runs all of its checks (§8).
 *
 * Which identity unwraps a file depends only on where the master says the
 * file came from, never on what the file says: an owner input (admitted by
 * the master) with the broker identity, a worker's output (an intermediate)
 * with the run identity. And no new output may carry a file key the master
 * has seen before (a header copied from another file): each key is known by
 * its *digest*, HMAC-SHA-256 under a key derived from the run hash key
 * (`useDigestKey`; random per process where a broker has no run secrets).
 * The digests are stable for the run, so the journal keeps each output's
 * (under the success record's MAC) and a resumed master restores the set of
 * seen keys from them without unwrapping anything (§16.3, §13.2):
 * `restoreSeenKey`. A restored output's key is unwrapped at its first
 * release, and must then have the journalled digest.
 *
 * The keys live in the master's memory only — never journalled or written —
 * and are zeroed when the broker closes.
 */
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { CorruptFileError, NoIdentityMatchError } from '../../crypto/errors.js';
import type { Header } from '../../crypto/filekey.js';
import type { Identity } from '../../crypto/types.js';
import { unwrapFileKey } from '../../crypto/unwrap.js';
import { BrokerRefusal } from './types.js';

/** Where a recorded ciphertext came from: the owner (admitted by the master) or a worker (an attempt's output). */
export type FileOrigin = 'input' | 'output';

/** The identities the broker unwraps with, each for its own kind of file. */
export interface BrokerIdentities {
  /** Owner inputs, at admission. */
  readonly broker: Identity;
  /** Intermediates: worker outputs, sealed values. */
  readonly run: Identity;
}

interface Keys {
  readonly byId: Map<string, { readonly sha256: string; readonly key: Uint8Array }>;
  /** Key fingerprint -> the file id it was first seen for. */
  readonly seen: Map<string, string>;
  /** File id -> the digest its key must have (restored from the journal, not yet unwrapped). */
  readonly restored: Map<string, string>;
  fingerprintKey: Buffer;
}

const kept = new WeakMap<object, Keys>();

function keysOf(broker: object): Keys {
  let k = kept.get(broker);
  if (!k) kept.set(broker, (k = { byId: new Map(), seen: new Map(), restored: new Map(), fingerprintKey: randomBytes(32) }));
  return k;
}

function fingerprint(k: Keys, key: Uint8Array): string {
  return createHmac('sha256', k.fingerprintKey).update(key).digest('hex');
}

/** HKDF info of the key-digest key: separate from every other use of the run hash key. */
const DIGEST_INFO = 'sealflow file-key digests v1';

/**
 * Makes the broker's key digests those of the run: HMAC-SHA-256 under
 * HKDF-SHA-256(run hash key, info DIGEST_INFO). Called once, when the
 * session opens, before any key is seen; the same run secrets give the same
 * digests after a resume.
 */
export function useDigestKey(broker: object, hashKey: Uint8Array): void {
  const k = keysOf(broker);
  if (k.seen.size > 0) throw new Error('useDigestKey: keys were already seen under another digest key');
  k.fingerprintKey.fill(0);
  k.fingerprintKey = Buffer.from(hkdfSync('sha256', hashKey, Buffer.alloc(0), DIGEST_INFO, 32));
}

/**
 * A journalled output of an earlier master of this run, restored on resume
 * (§13.2): its key counts as seen from now on (no new output may carry it),
 * and when it is first unwrapped for a release it must have `digest`.
 */
export function restoreSeenKey(broker: object, id: string, digest: string): void {
  const k = keysOf(broker);
  if (!k.seen.has(digest)) k.seen.set(digest, id);
  k.restored.set(id, digest);
}

/** The one identity that may unwrap a file of `origin`. */
export function identityFor(identities: BrokerIdentities, origin: FileOrigin): Identity {
  return origin === 'input' ? identities.broker : identities.run;
}

/** Unwraps with exactly `identity`; a header for anyone else, or a forged one, is a BrokerRefusal. */
function unwrapWith(header: Header, identity: Identity, what: string, forWhom: string): Uint8Array {
  try {
    return unwrapFileKey(header, [identity]);
  } catch (e) {
    if (e instanceof NoIdentityMatchError) throw new BrokerRefusal('wrong-recipient', `${what} is not encrypted to the ${forWhom} recipient`);
    if (e instanceof CorruptFileError) throw new BrokerRefusal('bad-header', `${what}: its age header does not verify (${e.message})`);
    throw e;
  }
}

function keep(k: Keys, id: string, sha256: string, key: Uint8Array, fp: string): void {
  k.byId.get(id)?.key.fill(0);
  k.byId.set(id, { sha256, key: Uint8Array.from(key) });
  if (!k.seen.has(fp)) k.seen.set(fp, id);
}

/**
 * The file key of the ciphertext `id` recorded with `sha256` whose header is
 * `header`, unwrapped with the identity of its origin only.
 * Returns a copy: the caller zeroes it when done.
 */
export function fileKeyOf(broker: object, id: string, sha256: string, header: Header, origin: FileOrigin, identities: BrokerIdentities): Uint8Array {
  const k = keysOf(broker);
  const had = k.byId.get(id);
  if (had && had.sha256 === sha256) return Uint8Array.from(had.key);
  const key = unwrapWith(header, identityFor(identities, origin), id, origin === 'input' ? 'broker' : 'run');
  const fp = fingerprint(k, key);
  const expected = k.restored.get(id);
  if (expected !== undefined && expected !== fp) {
    key.fill(0);
    throw new BrokerRefusal('bad-header', `${id}: its file key is not the one the journal recorded for it (§16.3)`);
  }
  keep(k, id, sha256, key, fp);
  return key;
}

/** A new output's file key, checked but not yet kept: `commitOutputKey` keeps it once every output of the attempt passed. */
export interface VettedKey {
  readonly key: Uint8Array;
  readonly fingerprint: string;
}

/**
 * Unwraps a new output's file key with the run identity only and refuses it
 * if the master has seen that key before (copied-file-key), naming the file
 * it belongs to (ids only, never key bytes).
 */
export function vetOutputKey(broker: object, what: string, header: Header, identities: BrokerIdentities): VettedKey {
  const k = keysOf(broker);
  const key = unwrapWith(header, identities.run, what, 'run');
  const fp = fingerprint(k, key);
  const owner = k.seen.get(fp);
  if (owner !== undefined) {
    key.fill(0);
    throw new BrokerRefusal('copied-file-key', `${what} carries the file key of ${owner}, which the master recorded before (a copied header)`);
  }
  return { key, fingerprint: fp };
}

/** Keeps a vetted output key for `id` (its releases then need no unwrap) and marks it seen; zeroes `v.key`. */
export function commitOutputKey(broker: object, id: string, sha256: string, v: VettedKey): void {
  const k = keysOf(broker);
  k.restored.delete(id); // a new recorded ciphertext: its own key, vetted just now
  keep(k, id, sha256, v.key, v.fingerprint);
  v.key.fill(0);
}

/** Zeroes and drops every key kept for `broker` (the fingerprints go with them). */
export function forgetFileKeys(broker: object): void {
  const k = kept.get(broker);
  if (!k) return;
  for (const x of k.byId.values()) x.key.fill(0);
  k.fingerprintKey.fill(0);
  kept.delete(broker);
}
