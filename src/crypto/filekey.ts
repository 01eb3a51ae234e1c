/**
 * The file-key API, for the key broker: the master unwraps a file's 16-byte
 * file key from its header with an identity (`unwrapFileKey`) and releases
 * only that key; a worker then decrypts the file with the key alone
 * (`decryptWithFileKey`), never holding an identity. The header MAC is
 * checked on both sides, so a worker also detects a modified header.
 */
import type { Readable } from 'node:stream';
import { open } from 'node:fs/promises';
import { dearmorIfArmored } from './armor.js';
import { CorruptFileError } from './errors.js';
import { readHeader, verifyHeaderMac, type Header } from './format.js';
import { bufferSource, iterableSource, readFull, fileSource, type ByteSink, type ByteSource } from './io.js';
import { readableFrom } from './readable.js';
import { runPayload, type PipelineOptions } from './pipeline.js';
import { PAYLOAD_NONCE_SIZE, payloadKey } from './stream.js';
import { FILE_KEY_SIZE } from './types.js';

export type { Header } from './format.js';
export { unwrapFileKey } from './unwrap.js';

/** Bytes, a Node Readable, or any async iterable of byte chunks. */
export type ByteInput = Uint8Array | AsyncIterable<Uint8Array | string>;

export function toSource(input: ByteInput): ByteSource {
  return input instanceof Uint8Array ? bufferSource(input) : iterableSource(input);
}

/** Reads the header of an age file, binary or armored; `rest` is positioned at the payload. */
export async function readFileHeader(source: ByteSource): Promise<{ header: Header; rest: ByteSource }> {
  return readHeader((await dearmorIfArmored(source)).source);
}

/** Reads just the header of the age file at `path` (binary or armored). */
export async function readHeaderOfFile(path: string): Promise<Header> {
  const fh = await open(path, 'r');
  try {
    return (await readFileHeader(fileSource(fh))).header;
  } finally {
    await fh.close();
  }
}

/**
 * Decrypts the payload that follows `header` in `rest` with `fileKey`,
 * writing plaintext to `sink` only after each batch of chunks authenticates.
 */
export async function decryptPayload(
  fileKey: Uint8Array,
  header: Header,
  rest: ByteSource,
  sink: ByteSink,
  options?: PipelineOptions,
): Promise<void> {
  if (fileKey.length !== FILE_KEY_SIZE) throw new TypeError('a file key is 16 bytes');
  if (!verifyHeaderMac(header, fileKey)) {
    throw new CorruptFileError('header', 'the header MAC does not verify under this file key');
  }
  const nonce = Buffer.alloc(PAYLOAD_NONCE_SIZE);
  if ((await readFull(rest, nonce)) !== PAYLOAD_NONCE_SIZE) {
    throw new CorruptFileError('header', 'the file ends before the 16-byte payload nonce');
  }
  await runPayload('open', payloadKey(fileKey, nonce), rest, sink, options);
}

/** Decrypts a whole age file (header included; binary or armored) given only its file key. */
export async function decryptWithFileKeyTo(
  fileKey: Uint8Array,
  source: ByteSource,
  sink: ByteSink,
  options?: PipelineOptions,
): Promise<void> {
  const { header, rest } = await readFileHeader(source);
  await decryptPayload(fileKey, header, rest, sink, options);
}

/** Streaming form of `decryptWithFileKeyTo`: a Readable of the plaintext, which errors on failure. */
export function decryptWithFileKey(fileKey: Uint8Array, input: ByteInput, options?: PipelineOptions): Readable {
  const key = Uint8Array.from(fileKey);
  return readableFrom((sink) => decryptWithFileKeyTo(key, toSource(input), sink, options));
}
