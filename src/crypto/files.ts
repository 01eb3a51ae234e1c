/**
 * Encrypting and decrypting between files with the file-mode fast path
 * (filemode.ts): the header is handled here, then the payload's batches are
 * spread over this thread and the worker pool with positional I/O.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { CorruptFileError } from './errors.js';
import { encodeHeader, readHeader } from './format.js';
import { unwrapFileKey } from './unwrap.js';
import { chunkTotal, runFileBatches, type FileJob, type FileJobFailure } from './filemode.js';
import { CONTROL_BYTES } from './write-turns.js';
import type { ByteSource } from './io.js';
import { sharedPool, type ChunkPool } from './pool.js';
import { PAYLOAD_NONCE_SIZE, payloadKey } from './stream.js';
import { FILE_KEY_SIZE, type Identity, type Recipient } from './types.js';

/** Payloads at least this large also use the worker pool (below, one thread is faster than starting one). */
export const POOL_MIN_BYTES = 4 * 1024 * 1024;

/** A fresh file key, the header wrapping it for `recipients`, and the payload nonce. */
export function startEncryption(recipients: readonly Recipient[]): { fileKey: Buffer; header: Buffer; nonce: Buffer } {
  if (recipients.length === 0) throw new TypeError('encrypt needs at least one recipient');
  if (recipients.length > 1 && recipients.some((r) => r.mustBeAlone)) {
    throw new TypeError('a passphrase (scrypt) recipient cannot be combined with other recipients');
  }
  const fileKey = crypto.randomBytes(FILE_KEY_SIZE);
  const header = encodeHeader(
    recipients.flatMap((r) => r.wrapFileKey(fileKey)),
    fileKey,
  );
  return { fileKey, header, nonce: crypto.randomBytes(PAYLOAD_NONCE_SIZE) };
}

/** Runs a file job on this thread and every pool worker; rejects with the first failing chunk. */
export async function runFileJob(
  op: FileJob['op'],
  key: Uint8Array,
  io: Pick<FileJob, 'inFd' | 'inStart' | 'inEnd' | 'outFd' | 'outStart'>,
  pool: ChunkPool | null,
  chunksPerBatch = 4,
): Promise<void> {
  const job: FileJob = { op, key, ...io, chunksPerBatch, control: new SharedArrayBuffer(CONTROL_BYTES) };
  const batches = Math.ceil(chunkTotal(op, io.inEnd - io.inStart) / chunksPerBatch);
  const helpers = pool && batches > 1 ? pool.runFileJob(job) : Promise.resolve([]);
  let error: { e: unknown } | null = null;
  let mine: FileJobFailure = null;
  try {
    mine = runFileBatches(job);
  } catch (e) {
    error = { e };
  }
  // Wait for every worker to stop before returning: they write to our file descriptors.
  const theirs = await helpers.catch((e: unknown) => {
    error ??= { e };
    return [];
  });
  if (error) throw (error as { e: unknown }).e;
  const failures = [mine, ...theirs].filter((f): f is NonNullable<FileJobFailure> => f !== null);
  if (failures.length > 0) {
    const first = failures.reduce((a, b) => (b.chunk < a.chunk ? b : a));
    throw new CorruptFileError({ chunk: first.chunk }, first.reason);
  }
}

function poolFor(payloadBytes: number): ChunkPool | null {
  return payloadBytes >= POOL_MIN_BYTES ? sharedPool() : null;
}

/** Encrypts the regular file `inFd` (`inSize` bytes, from offset 0) into `outFd` from offset 0. */
export async function encryptFileToFile(recipients: readonly Recipient[], inFd: number, inSize: number, outFd: number): Promise<void> {
  const { fileKey, header, nonce } = startEncryption(recipients);
  const prefix = Buffer.concat([header, nonce]);
  fs.writeSync(outFd, prefix, 0, prefix.length, 0);
  const io = { inFd, inStart: 0, inEnd: inSize, outFd, outStart: prefix.length };
  await runFileJob('seal', payloadKey(fileKey, nonce), io, poolFor(inSize));
}

function positionalSource(fd: number): ByteSource {
  let pos = 0;
  return {
    read(into) {
      const n = fs.readSync(fd, into, 0, into.length, pos);
      pos += n;
      return Promise.resolve(n);
    },
  };
}

/** True if the file starts like a binary (not armored) age file. */
export function isBinaryAgeFile(fd: number): boolean {
  const head = Buffer.alloc(19);
  return fs.readSync(fd, head, 0, 19, 0) === 19 && head.toString('latin1') === 'age-encryption.org/';
}

/**
 * Decrypts the binary age file `inFd` (`inSize` bytes) into `outFd`. The
 * output is written out of order and before the whole file authenticated:
 * `outFd` must be a temporary file that is discarded unless this resolves.
 */
export async function decryptFileToFile(identities: readonly Identity[], inFd: number, inSize: number, outFd: number): Promise<void> {
  const { header } = await readHeader(positionalSource(inFd));
  const fileKey = unwrapFileKey(header, identities);
  // The header is canonical: its length is the MAC input plus " " + 43 base64 characters + "\n".
  const headerLength = header.macInput.length + 45;
  const nonce = Buffer.alloc(PAYLOAD_NONCE_SIZE);
  if (fs.readSync(inFd, nonce, 0, PAYLOAD_NONCE_SIZE, headerLength) !== PAYLOAD_NONCE_SIZE) {
    throw new CorruptFileError('header', 'the file ends before the 16-byte payload nonce');
  }
  const inStart = headerLength + PAYLOAD_NONCE_SIZE;
  const io = { inFd, inStart, inEnd: inSize, outFd, outStart: 0 };
  await runFileJob('open', payloadKey(fileKey, nonce), io, poolFor(inSize - inStart));
}
