/**
 * Ciphertexts the master read once (docs/protocol.md §8.1): when it records
 * a ciphertext's SHA-256 (an admitted input, a worker's output) it also
 * parses the age header from the very bytes it hashed and keeps it, so a
 * later key release unwraps the file key from that header without reading
 * and hashing the file again. The key released is therefore always the one
 * of the recorded ciphertext, whatever happens to the file on disk later; a
 * file changed after it was recorded is refused by its consumer's hash
 * check, before anything decrypts it. Ids recorded without a header (e.g.
 * restored from a journal) are hashed again at release, as before.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { BEGIN } from '../../crypto/armor.js';
import { readFileHeader, type Header } from '../../crypto/filekey.js';
import { findHeaderEnd, parseHeader } from '../../crypto/format.js';
import { bufferSource } from '../../crypto/io.js';
import { readSmallFile } from '../../crypto/oneshot.js';

/** How much of the first read is kept to parse the header from (an age header is a few hundred bytes per recipient). */
const HEADER_PREFIX = 64 * 1024;
const READ = 4 << 20;

/** The header of an age file from its first bytes, or null if they do not hold a whole one. */
export async function headerOf(prefix: Uint8Array): Promise<Header | null> {
  try {
    return (await readFileHeader(bufferSource(prefix))).header;
  } catch {
    return null;
  }
}

/** Files up to this size are read in one synchronous call (see smallHashWithHeader). */
const SMALL = 1024 * 1024;

/** The header of a binary age file's first bytes, synchronously; undefined when they are armored text (the async parser dearmors). */
function binaryHeaderOf(prefix: Uint8Array): Header | null | undefined {
  if (Buffer.from(prefix.buffer, prefix.byteOffset, Math.min(prefix.length, BEGIN.length)).toString('latin1') === BEGIN) return undefined;
  try {
    const end = findHeaderEnd(prefix);
    return end < 0 ? null : parseHeader(prefix.subarray(0, end));
  } catch {
    return null;
  }
}

/**
 * `hashWithHeader` of a file of at most SMALL bytes, read whole and parsed
 * with synchronous calls (microseconds, where the promise API's thread-pool
 * round trips cost ~4 per file: a resume re-hashes every recorded output);
 * null when the file is larger, or grew while it was read; `header`
 * undefined when the file is armored (binaryHeaderOf).
 */
export function smallHashWithHeaderSync(path: string): { sha256: string; header: Header | null | undefined; bytes: Buffer } | null {
  const bytes = readSmallFile(path, SMALL);
  if (!bytes) return null;
  return { sha256: createHash('sha256').update(bytes).digest('hex'), header: bytes.length > 0 ? binaryHeaderOf(bytes.subarray(0, HEADER_PREFIX)) : null, bytes };
}

async function smallHashWithHeader(path: string): Promise<{ sha256: string; header: Header | null } | null> {
  const r = smallHashWithHeaderSync(path);
  if (!r) return null;
  return { sha256: r.sha256, header: r.header !== undefined ? r.header : await headerOf(r.bytes.subarray(0, HEADER_PREFIX)) };
}

/** One read of `path`: its SHA-256 and the age header parsed from the same bytes (null if not parseable from the first 64 KiB). */
export async function hashWithHeader(path: string): Promise<{ sha256: string; header: Header | null }> {
  const small = await smallHashWithHeader(path);
  if (small) return small;
  const fh = await open(path, 'r');
  try {
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafe(READ);
    let first: Buffer | null = null;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, READ, null);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      if (first === null || first.length < HEADER_PREFIX) first = Buffer.concat([first ?? Buffer.alloc(0), chunk.subarray(0, HEADER_PREFIX - (first?.length ?? 0))]);
      h.update(chunk);
    }
    return { sha256: h.digest('hex'), header: first ? await headerOf(first) : null };
  } finally {
    await fh.close();
  }
}

/** Recorded headers by broker, then file id; each with the hash it was parsed under. */
const headers = new WeakMap<object, Map<string, { readonly sha256: string; readonly header: Header }>>();

export function rememberHeader(broker: object, id: string, sha256: string, header: Header | null | undefined): void {
  let m = headers.get(broker);
  if (!m) headers.set(broker, (m = new Map()));
  if (header) m.set(id, { sha256: sha256.toLowerCase(), header });
  else m.delete(id); // re-recorded without one: never use a header of an older ciphertext
}

/** The header recorded with `sha256` for `id`, if any. */
export function recordedHeader(broker: object, id: string, sha256: string): Header | undefined {
  const r = headers.get(broker)?.get(id);
  return r && r.sha256 === sha256 ? r.header : undefined;
}
