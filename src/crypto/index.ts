/**
 * age v1 encryption on node:crypto: `encrypt(recipients, input)` and
 * `decrypt(identities, input)` return Readables of the result, with memory
 * bounded whatever the input size; `encryptTo` / `decryptTo` are the same
 * over a source and a sink (what the CLI uses for files).
 */
import type { Readable } from 'node:stream';
import { armorSink } from './armor.js';
import { startEncryption } from './files.js';
import { decryptPayload, readFileHeader, toSource, unwrapFileKey, type ByteInput } from './filekey.js';
import type { ByteSink, ByteSource } from './io.js';
import { readableFrom } from './readable.js';
import { runPayload, type PipelineOptions } from './pipeline.js';
import { payloadKey } from './stream.js';
import type { Identity, Recipient } from './types.js';

export interface EncryptOptions {
  /** Write the ASCII-armored form. */
  readonly armor?: boolean;
  readonly pipeline?: PipelineOptions;
}

export interface DecryptOptions {
  readonly pipeline?: PipelineOptions;
}

/** Encrypts everything read from `source` to `recipients`, writing the age file to `sink`. */
export async function encryptTo(
  recipients: readonly Recipient[],
  source: ByteSource,
  sink: ByteSink,
  options: EncryptOptions = {},
): Promise<void> {
  const { fileKey, header, nonce } = startEncryption(recipients);
  const armored = options.armor ? armorSink(sink) : null;
  const out = armored?.sink ?? sink;
  await out.write(Buffer.concat([header, nonce]));
  await runPayload('seal', payloadKey(fileKey, nonce), source, out, options.pipeline);
  await armored?.finish();
}

/**
 * Decrypts the age file read from `source` (binary or armored, detected)
 * with the first matching identity, writing plaintext to `sink`.
 */
export async function decryptTo(
  identities: readonly Identity[],
  source: ByteSource,
  sink: ByteSink,
  options: DecryptOptions = {},
): Promise<void> {
  const { header, rest } = await readFileHeader(source);
  const fileKey = unwrapFileKey(header, identities);
  await decryptPayload(fileKey, header, rest, sink, options.pipeline);
}

/** Encrypts `input` to `recipients`; the Readable yields the age file. */
export function encrypt(recipients: readonly Recipient[], input: ByteInput, options?: EncryptOptions): Readable {
  return readableFrom((sink) => encryptTo(recipients, toSource(input), sink, options));
}

/**
 * Decrypts the age file `input`; the Readable yields plaintext as it
 * authenticates and is destroyed with the error if any part does not.
 */
export function decrypt(identities: readonly Identity[], input: ByteInput, options?: DecryptOptions): Readable {
  return readableFrom((sink) => decryptTo(identities, toSource(input), sink, options));
}

export { X25519Identity, X25519Recipient } from './x25519.js';
export { ScryptIdentity, ScryptRecipient } from './scrypt.js';
export { CorruptFileError, NoIdentityMatchError, type CorruptLocation } from './errors.js';
export { decryptFileToFile, encryptFileToFile, isBinaryAgeFile } from './files.js';
export { unwrapFileKey, decryptWithFileKey, decryptWithFileKeyTo, readFileHeader, readHeaderOfFile } from './filekey.js';
export type { Identity, Recipient, Stanza } from './types.js';
export type { ByteSink, ByteSource } from './io.js';
export type { PipelineOptions } from './pipeline.js';
