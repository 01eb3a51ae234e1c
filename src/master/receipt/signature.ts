/**
 * Signing and verifying a receipt (docs/protocol.md §14.3–§14.4).
 *
 * The signature is embedded: `receipt.json` is the canonical JSON of
 * `{receipt, signature}` plus one newline, so the receipt cannot be separated
 * from its signature, and any change to any byte of the file is refused —
 * in the receipt (the signature fails), in the signature, or in the layout
 * (the file is no longer canonical). The signed message is
 * `lp("sealflow-receipt-v1") ‖ canonical(receipt)`: the master key also signs
 * bundle-key messages (other lp label) and run CA certificates (DER), and a
 * receipt signature can be taken for neither.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { keyPin, masterSign, masterVerify } from '../../crypto/master-key.js';
import { OperationError } from '../../errors.js';
import { canonicalJson } from './canonical.js';
import { READABLE_VERSIONS, RECEIPT_DOMAIN, RECEIPT_FORMAT, RECEIPT_VERSION, type Receipt, type SignedReceipt } from './model.js';

/** Why a receipt was refused (exit 1): the message names what failed. */
export class ReceiptError extends OperationError {}

function lp(b: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

export function signedMessage(receipt: Receipt): Buffer {
  return Buffer.concat([lp(Buffer.from(RECEIPT_DOMAIN)), Buffer.from(canonicalJson(receipt), 'utf8')]);
}

/** The text of `receipt.json`: canonical `{receipt, signature}` and a newline. */
export function signReceipt(receipt: Receipt, signingKey: KeyObject, publicKey: KeyObject): string {
  if (receipt.master.pin !== keyPin(publicKey)) throw new Error('the receipt names another master pin than the signing key');
  const envelope: SignedReceipt = {
    receipt,
    signature: {
      algorithm: 'ECDSA-P256-SHA256',
      encoding: 'ieee-p1363',
      publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      value: masterSign(signingKey, signedMessage(receipt)).toString('base64'),
    },
  };
  return `${canonicalJson(envelope)}\n`;
}

/** Whom the owner trusts: the master's pin, or its public key (then its pin). */
export interface ExpectedMaster {
  readonly pin: string;
}

const short = (pin: string) => `${pin.slice(0, 16)}…`;

/**
 * Checks `bytes` (a receipt.json) against the expected
 * master and returns the receipt, or throws a ReceiptError saying what is wrong.
 */
export function verifyReceiptBytes(bytes: Uint8Array, expected: ExpectedMaster, where = 'the receipt'): Receipt {
  const text = Buffer.from(bytes).toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) throw new ReceiptError(`${where} is not valid UTF-8: it is damaged or was modified`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ReceiptError(`${where} is not valid JSON (${(e as Error).message}): it is damaged or was modified`);
  }
  const env = parsed as Partial<SignedReceipt> | null;
  const r = env?.receipt as Partial<Receipt> | undefined;
  const sig = env?.signature;
  if (typeof env !== 'object' || env === null || typeof r !== 'object' || r === null || typeof sig !== 'object' || sig === null) {
    throw new ReceiptError(`${where} is not a sealflow receipt (no receipt and signature members)`);
  }
  checkVersion(r, where);
  let canonical: string;
  try {
    canonical = `${canonicalJson(parsed)}\n`;
  } catch (e) {
    throw new ReceiptError(`${where} holds a value canonical JSON refuses (${(e as Error).message}): it was modified`);
  }
  if (canonical !== text) {
    const at = [...canonical].findIndex((c, i) => c !== text[i]);
    throw new ReceiptError(`${where} is not in the canonical form it was signed in (first difference at character ${at < 0 ? canonical.length : at}): it was modified after signing`);
  }
  if (sig.algorithm !== 'ECDSA-P256-SHA256' || sig.encoding !== 'ieee-p1363' || typeof sig.publicKey !== 'string' || typeof sig.value !== 'string') {
    throw new ReceiptError(`${where}: unsupported signature (algorithm ${JSON.stringify(sig.algorithm)}, encoding ${JSON.stringify(sig.encoding)})`);
  }
  for (const [name, b64] of [['public key', sig.publicKey], ['signature value', sig.value]] as const) {
    if (Buffer.from(b64, 'base64').toString('base64') !== b64) throw new ReceiptError(`${where}: the ${name} is not canonical base64: it was modified`);
  }
  let signer: KeyObject;
  try {
    signer = createPublicKey({ key: Buffer.from(sig.publicKey, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new ReceiptError(`${where}: the signer's public key is not a valid SPKI key: it was modified`);
  }
  const signerPin = keyPin(signer);
  if (signerPin !== expected.pin) {
    throw new ReceiptError(`${where} was signed by another master key (pin ${short(signerPin)}), not by the master you trust (pin ${short(expected.pin)})`);
  }
  const receipt = r as Receipt;
  if (receipt.master?.pin !== signerPin) throw new ReceiptError(`${where} names master pin ${short(String(receipt.master?.pin))} but its signature key has pin ${short(signerPin)}: it was modified`);
  if (signer.asymmetricKeyType !== 'ec' || signer.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new ReceiptError(`${where}: the signer's key is not ECDSA P-256`);
  const value = Buffer.from(sig.value, 'base64');
  if (value.length !== 64 || !masterVerify(signer, signedMessage(receipt), value)) {
    throw new ReceiptError(`${where}: the signature is invalid — the receipt was modified after the master signed it (any field: an output or input hash, a worker, a tool's path or SHA-256…)`);
  }
  checkTools(receipt, where);
  return receipt;
}

/** §14.4 step 1: the format, and a version this sealflow reads (a newer one says to upgrade). */
function checkVersion(r: Partial<Receipt>, where: string): void {
  if (r.format !== RECEIPT_FORMAT) throw new ReceiptError(`${where} is not a sealflow receipt (format ${JSON.stringify(r.format)}, expected ${JSON.stringify(RECEIPT_FORMAT)})`);
  const v: unknown = r.version;
  if (typeof v === 'number' && Number.isInteger(v) && v > RECEIPT_VERSION) {
    throw new ReceiptError(`${where} is a version ${v} sealflow receipt, newer than this sealflow reads (versions ${READABLE_VERSIONS.join(', ')}): verify it with a newer sealflow`);
  }
  if (typeof v !== 'number' || !READABLE_VERSIONS.includes(v)) throw new ReceiptError(`${where} has an unknown receipt version ${JSON.stringify(v)} (this sealflow reads versions ${READABLE_VERSIONS.join(', ')})`);
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * §14.7, after the signature: version 2 lists `tools`, version 1 does not;
 * each entry is well formed. A signed receipt that fails this was not written
 * by a sealflow (the master signs only what it builds).
 */
function checkTools(r: Receipt, where: string): void {
  if (r.version === 1) {
    if (r.tools !== undefined) throw new ReceiptError(`${where}: a version 1 receipt has no tools list, but this one has one: it was not written by sealflow`);
    return;
  }
  const bad = (what: string) => new ReceiptError(`${where}: ${what}: it was not written by sealflow`);
  if (!Array.isArray(r.tools)) throw bad(`a version ${r.version} receipt must list tools (an array, maybe empty)`);
  for (const s of r.tools) {
    if (typeof s?.step !== 'string' || !Number.isInteger(s.index) || !Number.isInteger(s.attempt) || !Array.isArray(s.tools)) throw bad('a tools entry is not {step, index, attempt, tools}');
    for (const t of s.tools) {
      if (typeof t?.tool !== 'string' || typeof t.path !== 'string' || typeof t.pinned !== 'boolean' || typeof t.sha256 !== 'string' || !HEX64.test(t.sha256)) {
        throw bad(`step ${s.step}[${s.index}]: a tool entry is not {tool, path, sha256 (64 hex), pinned}`);
      }
    }
  }
}
