/**
 * Fuzz target for reading a signed receipt (verifyReceiptBytes: UTF-8,
 * JSON, canonical form, version, signature against the expected master).
 * The seed is the sample receipt of test/receipt signed with a fixed P-256
 * key; refusals are ReceiptErrors.
 */
import { keyPin } from '../../../src/crypto/master-key.js';
import { ReceiptError, signReceipt, verifyReceiptBytes } from '../../../src/master/receipt/signature.js';
import { sampleReceipt } from '../../receipt/sample.js';
import { fixedEcKey } from '../fixed-keys.js';
import type { FuzzTarget } from '../target.js';

const master = fixedEcKey('P-256', 0x42);
const pin = keyPin(master.publicKey);

export const targets: FuzzTarget[] = [
  {
    name: 'receipt',
    seeds: () => [new TextEncoder().encode(signReceipt(sampleReceipt(pin), master.privateKey, master.publicKey))],
    run: (b) => verifyReceiptBytes(b, { pin }),
    isOwnError: (e) => e instanceof ReceiptError,
  },
];
