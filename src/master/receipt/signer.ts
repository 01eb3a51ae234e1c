/**
 * The key that signs receipts: the local master's signing key
 * ($SEALFLOW_HOME/master). Loaded before a run starts, so a missing
 * passphrase fails the run at once rather than after the work is done. On a
 * fresh machine the master is created on first use with 0600 plaintext key
 * files and a loud warning (as attested runs do, DESIGN.md), by the same
 * function as attested runs (`ensureLocalMaster`), so concurrent first runs
 * agree on one master.
 */
import type { KeyObject } from 'node:crypto';
import { ensureLocalMaster } from '../local-master.js';

export interface ReceiptSigner {
  readonly signingKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly pin: string;
}

export async function loadReceiptSigner(opts: { passphrase: () => Promise<string | undefined>; warn: (m: string) => void; env?: NodeJS.ProcessEnv }): Promise<ReceiptSigner> {
  const m = await ensureLocalMaster(opts);
  return { signingKey: m.signingKey, publicKey: m.signingPublicKey, pin: m.pin };
}
