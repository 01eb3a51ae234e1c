/**
 * The data owner's signing key (docs/connectors/data-in-place.md): Ed25519
 * from the OS CSPRNG, stored as PKCS#8 PEM in a new 0600 file. Its public
 * key travels as one copyable line, `ed25519:<base64url of the 32 raw
 * bytes>`, which a run configuration names as the signer of a data manifest.
 * The private key is never printed or logged.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';

const PREFIX = 'ed25519:';
/** SPKI DER of an Ed25519 key is this 12-byte prefix and the 32 raw bytes (RFC 8410 §4). */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The one-line text form of an Ed25519 public key. */
export function signerText(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return PREFIX + der.subarray(SPKI_PREFIX.length).toString('base64url');
}

/** The public key of a signer's text form; throws InputError naming `where` if it is not one. */
export function parseSigner(text: string, where: string): KeyObject {
  const raw = text.startsWith(PREFIX) ? Buffer.from(text.slice(PREFIX.length), 'base64url') : null;
  if (raw === null || raw.length !== 32 || raw.toString('base64url') !== text.slice(PREFIX.length)) {
    throw new InputError(`${where}: ${JSON.stringify(text.slice(0, 80))} is not a signer's public key; give the line \`sealflow manifest keygen\` printed (ed25519:<43 characters>).`);
  }
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** A new signing key written to `file` (0600, never overwritten); its public key's text form. */
export async function writeSigningKey(file: string): Promise<string> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const fh = await open(file, 'wx', 0o600).catch((e: NodeJS.ErrnoException) => {
    throw new InputError(e.code === 'EEXIST' ? `${file} already exists; a signing key is never overwritten (choose another -o file)` : `cannot create ${file}: ${e.message}`);
  });
  try {
    await fh.writeFile(pem);
  } finally {
    await fh.close();
  }
  return signerText(publicKey);
}

/** The signing key in `file` (PKCS#8 PEM, Ed25519). */
export async function readSigningKey(file: string): Promise<KeyObject> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new InputError(`cannot read signing key ${file}: ${e.code ?? e.message}`);
  });
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch {
    throw new InputError(`${file} is not a PKCS#8 PEM private key; make one with \`sealflow manifest keygen -o ${file}\``);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new InputError(`${file} holds a ${key.asymmetricKeyType ?? 'unknown'} key; a data manifest is signed with an Ed25519 key from \`sealflow manifest keygen\``);
  return key;
}

export function publicOf(key: KeyObject): KeyObject {
  return createPublicKey(key);
}

export function signBytes(key: KeyObject, message: Uint8Array): Buffer {
  return sign(null, message, key);
}

export function verifyBytes(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  return signature.length === 64 && verify(null, message, publicKey, signature);
}
