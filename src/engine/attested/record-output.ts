/**
 * What the master records for a worker's output ciphertext (docs/protocol.md
 * §8.1, §10.5). The attested worker hashed the ciphertext as it wrote it and
 * reported the SHA-256 over its mTLS execution channel; the master records
 * that hash and reads only the file's first 64 KiB, for the age header a
 * later key release unwraps the file key from. Re-hashing the whole file
 * would add nothing: the host could swap the file before the master's read
 * as easily as after it, and every consumer checks the bytes it decrypts
 * against the recorded (reported) hash first (§10). A header parsed from a
 * swapped file only yields a key the consumer never uses on anything its
 * hash check accepts. Without a reported hash the file is hashed in full.
 */
import { open } from 'node:fs/promises';
import type { Header } from '../../crypto/filekey.js';
import { hashWithHeader, headerOf } from '../broker/recorded.js';

const HEADER_PREFIX = 64 * 1024;

export async function recordedOutput(file: string, reported: string | undefined): Promise<{ sha256: string; header: Header | null }> {
  if (reported === undefined || !/^[0-9a-f]{64}$/.test(reported)) return hashWithHeader(file);
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(HEADER_PREFIX);
    const { bytesRead } = await fh.read(buf, 0, HEADER_PREFIX, 0);
    if (bytesRead === 0) throw new Error(`output ${file} is empty`);
    return { sha256: reported, header: await headerOf(buf.subarray(0, bytesRead)) };
  } finally {
    await fh.close();
  }
}
