/**
 * `sealflow manifest add`: an age file already on this host, hashed once into
 * a manifest entry (docs/connectors/data-in-place.md). The header bytes kept
 * are the file's own prefix up to the `---` line, taken from the bytes that
 * were hashed, and must parse as an age header.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { headerOf } from '../broker/recorded.js';
import { headerBytes, type ManifestEntry } from './manifest.js';

const READ = 4 << 20;
const PREFIX = 64 * 1024;

export async function manifestEntry(file: string): Promise<ManifestEntry> {
  const abs = path.resolve(file);
  const fh = await open(abs, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new InputError(`${file}: cannot read it (${e.code ?? e.message})`);
  });
  const h = createHash('sha256');
  let first = Buffer.alloc(0);
  let size = 0;
  try {
    const buf = Buffer.allocUnsafe(READ);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, READ, null);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      if (first.length < PREFIX) first = Buffer.concat([first, chunk.subarray(0, PREFIX - first.length)]);
      h.update(chunk);
      size += bytesRead;
    }
  } finally {
    await fh.close();
  }
  const text = first.toString('latin1');
  const mac = text.indexOf('\n---');
  const end = mac < 0 ? -1 : text.indexOf('\n', mac + 1);
  if (end < 0 || !(await headerOf(first))) throw new InputError(`${file}: not a binary age file (encrypt it with \`sealflow encrypt -r <broker recipient>\` first; armored files are not listed)`);
  const header = first.subarray(0, end + 1).toString('base64');
  headerBytes(header, file);
  return { path: abs, sha256: h.digest('hex'), size, header };
}
