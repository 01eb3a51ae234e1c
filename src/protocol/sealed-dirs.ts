/**
 * Directory values in encrypted runs (docs/protocol.md §10.1). A Directory
 * output is replaced, at the same path, by one age file: the directory's tar
 * stream (./tar.ts) encrypted to the run's recipients; its size and SHA-256
 * are reported like a file's. A Directory input is verified by its hash like
 * a file (by the caller), then decrypted with its released file key and
 * untarred into the attempt's private input directory.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { decryptWithFileKey, encrypt } from '../crypto/index.js';
import type { Recipient } from '../crypto/types.js';
import { packDirectory, unpackInto } from './tar.js';

/** Large files go to the crypto pool (its worker source is embedded in the executor bundle: crypto-pool.ts). */
const PIPELINE = {};

/** Writes the age encryption of `source` to `dest` (new, 0600); returns the ciphertext's size and SHA-256. */
export async function sealStreamTo(source: AsyncIterable<Uint8Array>, dest: string, recipients: readonly Recipient[]): Promise<{ size: number; sha256: string }> {
  const h = createHash('sha256');
  let size = 0;
  const fh = await fs.promises.open(dest, 'wx', 0o600);
  try {
    for await (const c of encrypt(recipients, source, { pipeline: PIPELINE })) {
      const b = c as Uint8Array;
      h.update(b);
      size += b.length;
      await fh.write(b);
    }
  } finally {
    await fh.close();
  }
  return { size, sha256: h.digest('hex') };
}

/**
 * Replaces the directory `dir` by the age file of its tar stream (same
 * path). Refuses (TarError) a tree with symlinks, devices, FIFOs or sockets,
 * leaving the directory as it was.
 */
export async function sealDirectoryInPlace(dir: string, recipients: readonly Recipient[]): Promise<{ size: number; sha256: string }> {
  const tmp = `${dir}.sealing`;
  const r = await sealDirectoryToTemp(dir, tmp, recipients);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return r;
}

/** The age file of `dir`'s tar stream written to `tmp` (a stale one removed first); no `tmp` is left if it fails. */
async function sealDirectoryToTemp(dir: string, tmp: string, recipients: readonly Recipient[]): Promise<{ size: number; sha256: string }> {
  fs.rmSync(tmp, { force: true });
  try {
    return await sealStreamTo(packDirectory(dir), tmp, recipients);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Writes the age file of `dir`'s tar stream to `dest` (beside it first, renamed when complete; the directory
 * stays); refuses (TarError) as `sealDirectoryInPlace` does, leaving no `dest`.
 */
export async function sealDirectoryInto(dir: string, dest: string, recipients: readonly Recipient[]): Promise<{ size: number; sha256: string }> {
  const tmp = `${dest}.sealing`;
  fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
  const r = await sealDirectoryToTemp(dir, tmp, recipients);
  fs.renameSync(tmp, dest);
  return r;
}

/** Writes the age file of `dir`'s tar stream to `dest` (the directory stays); for inputs the master admits. */
export function sealDirectoryTo(dir: string, dest: string, recipients: readonly Recipient[]): Promise<{ size: number; sha256: string }> {
  return sealStreamTo(packDirectory(dir), dest, recipients);
}

/** Decrypts the sealed directory `src` with its file key and extracts it into `dest` (which must not exist). */
export async function openDirectory(src: string, fileKey: Uint8Array, dest: string): Promise<void> {
  await unpackInto(decryptWithFileKey(fileKey, fs.createReadStream(src, { highWaterMark: 1 << 20 }), PIPELINE), dest);
}
