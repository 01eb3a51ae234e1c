/**
 * The byte path of the worker's sealed files (docs/protocol.md §10.5), with
 * one read pass per file and no copies between the file and the crypto
 * pipeline's shared-memory slots:
 *
 * - `openVerified` reads an input ciphertext once: every byte read is fed to
 *   SHA-256 and to the decryption, which writes the plaintext into a new
 *   0600 file in the attempt's private input directory. Only when the whole
 *   ciphertext was read and its SHA-256 equals the recorded one does it
 *   resolve; otherwise the plaintext file is deleted unread and the hash
 *   mismatch is reported (before any decryption error it caused), so nothing
 *   decrypted is used before the hash check passed.
 * - `sealInPlace` encrypts a file, hashing the ciphertext as it is written:
 *   an output straight under its name in the attempt's fresh output
 *   directory (O_EXCL, removed if sealing fails); a log, or a file sealed
 *   in place, to a temporary file beside its destination, renamed over it
 *   when complete.
 *
 * Batches past the pipeline's threshold go to the crypto pool (every core).
 * Files up to SMALL_FILE — most of a step's files: logs, small outputs —
 * take the same steps in memory with synchronous calls (one read, one
 * write, the same bytes): no pipeline and no thread-pool round trip per
 * call, which cost more than the cryptography on every step.
 */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { decryptWithFileKeyTo, encryptTo } from '../../crypto/index.js';
import { isBinaryAge, openBinaryWithFileKey, readSmallFile, sealBinary } from '../../crypto/oneshot.js';
import type { ByteSink, ByteSource } from '../../crypto/io.js';
import type { PipelineOptions } from '../../crypto/pipeline.js';
import type { Recipient } from '../../crypto/types.js';

/** Default pipeline options (pool past 4 MiB, 1 MiB batches); callers may pass options sized to the file. */
const PIPELINE: PipelineOptions = {};

/** Reads `fh` from its start, feeding every byte read to `hash`. */
function hashingSource(fh: FileHandle, hash: Hash): ByteSource & { readonly bytes: () => number } {
  let bytes = 0;
  return {
    bytes: () => bytes,
    async read(into) {
      const { bytesRead } = await fh.read(into, 0, into.length, null);
      if (bytesRead > 0) {
        hash.update(into.subarray(0, bytesRead));
        bytes += bytesRead;
      }
      return bytesRead;
    },
  };
}

/** Writes to `fh`, feeding every byte written to `hash`. */
function hashingSink(fh: FileHandle, hash: Hash | null): ByteSink & { readonly bytes: () => number } {
  let bytes = 0;
  return {
    bytes: () => bytes,
    async write(data) {
      hash?.update(data);
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await fh.write(data, off, data.length - off, null);
        off += bytesWritten;
      }
      bytes += data.length;
    },
  };
}

/** Reads the rest of `source` (so the hash covers the whole file). */
async function drain(source: ByteSource): Promise<void> {
  const buf = Buffer.allocUnsafe(1 << 20);
  while ((await source.read(buf)) > 0);
}

export class HashMismatchError extends Error {}

/** Files (ciphertexts) up to this size are sealed (opened) in memory, synchronously. */
export const SMALL_FILE = 1024 * 1024;


/** Writes `pieces` in order into the new file `file` (0600); removes it if any write fails. */
function writeNewFile(file: string, pieces: readonly Uint8Array[]): void {
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    for (const p of pieces) for (let off = 0; off < p.length; ) off += fs.writeSync(fd, p, off, p.length - off);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw e;
  }
  fs.closeSync(fd);
}

/** `openVerified` for a small binary age file, or null when `src` is not one (the streaming path then reads it). */
function openSmallVerified(src: string, fileKey: Uint8Array | (() => Uint8Array), dest: string, expectedSha256: string | null, label: string): boolean {
  const bytes = readSmallFile(src, SMALL_FILE);
  if (bytes === null || !isBinaryAge(bytes)) return false;
  if (expectedSha256 !== null) {
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== expectedSha256) throw new HashMismatchError(`input ${label}: the ciphertext's SHA-256 ${sha} is not the one the master recorded (${expectedSha256}); refusing to decrypt`);
  }
  const plain = openBinaryWithFileKey(typeof fileKey === 'function' ? fileKey() : fileKey, bytes);
  writeNewFile(dest, [plain]);
  return true;
}

/**
 * Decrypts the age file `src` with `fileKey` (or the key the function
 * returns) into the new file `dest` (0600), reading `src` once. With `expectedSha256`, resolves only if the
 * SHA-256 of all of `src` equals it; on any failure `dest` is removed.
 * `label` names the input in the mismatch message.
 */
export async function openVerified(src: string, fileKey: Uint8Array | (() => Uint8Array), dest: string, expectedSha256: string | null, label = path.basename(src), pipeline: PipelineOptions = PIPELINE): Promise<void> {
  if (openSmallVerified(src, fileKey, dest, expectedSha256, label)) return;
  const hash = createHash('sha256');
  const inFh = await fs.promises.open(src, 'r');
  let ok = false;
  try {
    const outFh = await fs.promises.open(dest, 'wx', 0o600);
    try {
      const source = hashingSource(inFh, hash);
      let failure: { e: unknown } | null = null;
      try {
        // A key that cannot be had (e.g. unwrapped) is a failure reported after the hash check.
        const key = typeof fileKey === 'function' ? fileKey() : fileKey;
        await decryptWithFileKeyTo(key, source, hashingSink(outFh, null), pipeline);
      } catch (e) {
        failure = { e };
      }
      if (expectedSha256 !== null) {
        await drain(source);
        const sha = hash.digest('hex');
        if (sha !== expectedSha256) {
          throw new HashMismatchError(`input ${label}: the ciphertext's SHA-256 ${sha} is not the one the master recorded (${expectedSha256}); refusing to decrypt`);
        }
      }
      if (failure) throw failure.e;
      ok = true;
    } finally {
      await outFh.close();
      if (!ok) fs.rmSync(dest, { force: true });
    }
  } finally {
    await inFh.close();
  }
}

/**
 * Encrypts `file` to `recipients` in place (same path), or to `dest` (the plaintext then stays for its owner to remove);
 * the ciphertext's size and SHA-256 are computed as it is written. It is written to `<dest>.sealing` and renamed,
 * unless `fresh`: `dest` is then a new name in a directory made for this attempt (an output, §10.8), written in place
 * with O_EXCL (a name that exists is an error) and removed if the sealing fails — no temporary inode and no rename
 * in the run directory per output; a file cut short by a crash is in an attempt directory no record names, which the
 * next attempt of the instance removes.
 */
export async function sealInPlace(file: string, recipients: readonly Recipient[], pipeline: PipelineOptions = PIPELINE, dest = file, fresh = false): Promise<{ size: number; sha256: string }> {
  if (fresh && dest === file) throw new Error('sealInPlace: a fresh destination must differ from the plaintext');
  const tmp = fresh ? dest : `${dest}.sealing`;
  if (dest !== file && !fresh) fs.rmSync(tmp, { force: true }); // a killed earlier attempt's leftover
  const plain = readSmallFile(file, SMALL_FILE);
  if (plain !== null) {
    const pieces = sealBinary(recipients, plain);
    writeNewFile(tmp, pieces);
    if (tmp !== dest) fs.renameSync(tmp, dest);
    const hash = createHash('sha256');
    for (const p of pieces) hash.update(p);
    return { size: pieces.reduce((n, p) => n + p.length, 0), sha256: hash.digest('hex') };
  }
  const hash = createHash('sha256');
  const inFh = await fs.promises.open(file, 'r');
  let sink: ReturnType<typeof hashingSink>;
  try {
    const outFh = await fs.promises.open(tmp, 'wx', 0o600);
    try {
      sink = hashingSink(outFh, hash);
      await encryptTo(recipients, { read: async (into) => (await inFh.read(into, 0, into.length, null)).bytesRead }, sink, { pipeline });
    } catch (e) {
      await outFh.close();
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    await outFh.close();
  } finally {
    await inFh.close();
  }
  if (tmp !== dest) await fs.promises.rename(tmp, dest);
  return { size: sink.bytes(), sha256: hash.digest('hex') };
}
