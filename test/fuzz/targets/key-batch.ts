/**
 * A release's file keys as the worker reads them (docs/protocol.md §7.1):
 * the key share and the entries of a sealed assignment, which the master
 * writes but a host that relays the channel, or a compromised master
 * session, could shape. Input: the 32-byte share, then 44-byte entries (a
 * shorter tail is a short entry). Each entry is opened for a fixed step and
 * the hash of its place; anything but a ProvisionError is a failure.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { BATCH_ENTRY_BYTES, fileKeyOpener, fileKeySealer, ProvisionError, x25519Raw } from '../../../src/protocol/wcpac-crypto.js';
import type { FuzzTarget } from '../target.js';

const STEP = 'use[0]#1';
const hashOf = (i: number) => i.toString(16).padStart(64, '0');
let worker: { privateKey: KeyObject; publicKey: KeyObject } | undefined;
const keys = () => (worker ??= generateKeyPairSync('x25519'));

function batch(n: number): Uint8Array {
  const sealer = fileKeySealer(x25519Raw(keys().publicKey));
  const entries = Array.from({ length: n }, (_, i) => sealer.seal(STEP, hashOf(i), randomBytes(16)));
  sealer.dispose();
  return Buffer.concat([sealer.share, ...entries]);
}

export const targets: FuzzTarget[] = [
  {
    name: 'key-batch',
    seeds: () => [batch(1), batch(3), batch(0)],
    isOwnError: (e) => e instanceof ProvisionError,
    run(input) {
      const bytes = Buffer.from(input);
      const share = bytes.subarray(0, 32);
      const entries: Buffer[] = [];
      for (let at = 32; at < bytes.length; at += BATCH_ENTRY_BYTES) entries.push(bytes.subarray(at, at + BATCH_ENTRY_BYTES));
      const opener = fileKeyOpener(keys().privateKey, share, entries);
      try {
        return entries.map((e, i) => opener.open(STEP, hashOf(i), e).length);
      } finally {
        opener.dispose();
      }
    },
  },
];
