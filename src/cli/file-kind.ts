/**
 * Whether the start of a file is text fit for a terminal preview, and if
 * not, what the file is by its magic bytes. Used by the result preview of
 * `sealflow run`: a BAM or gzip result must never be dumped on the screen.
 */
import zlib from 'node:zlib';

/** How many leading bytes are judged. */
export const SNIFF_BYTES = 4096;

/**
 * True when `prefix` (the first bytes of a file; a multi-byte character cut
 * at the end is allowed) is valid UTF-8 without control characters other
 * than tab, newline and carriage return.
 */
export function isPreviewableText(prefix: Uint8Array): boolean {
  const head = prefix.subarray(0, SNIFF_BYTES);
  for (const b of head) if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return false;
  const cut = head.length === prefix.length ? 0 : trailingPartial(head);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, head.length - cut));
    return true;
  } catch {
    return false;
  }
}

/** The length of an incomplete UTF-8 sequence at the end of `b` (0–3). */
function trailingPartial(b: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const c = b[b.length - back]!;
    if ((c & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

const startsWith = (b: Uint8Array, magic: readonly number[]): boolean => magic.every((m, i) => b[i] === m);

/** A name for a binary format recognised by its first bytes, or null. */
export function binaryKind(prefix: Uint8Array): string | null {
  const b = Buffer.from(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  if (startsWith(b, [0x1f, 0x8b])) return isBgzf(b) ? bgzfKind(b) : 'gzip';
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04]) || startsWith(b, [0x50, 0x4b, 0x05, 0x06])) return 'zip';
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'PNG';
  if (b.subarray(0, 5).toString('latin1') === '%PDF-') return 'PDF';
  if (b.subarray(0, 4).toString('latin1') === 'BAM\u0001') return 'BAM (uncompressed)';
  return null;
}

/** SAM/BAM spec §4.1: a gzip member with FEXTRA whose subfield 'BC' (length 2) holds the block size. */
function isBgzf(b: Buffer): boolean {
  return b.length >= 18 && b[2] === 8 && (b[3]! & 4) !== 0 && b[12] === 0x42 && b[13] === 0x43 && b.readUInt16LE(14) === 2;
}

/** "BAM" when the first BGZF block inflates to "BAM\1", else "BGZF (bgzip)". */
function bgzfKind(b: Buffer): string {
  const blockSize = b.readUInt16LE(16) + 1;
  if (b.length >= blockSize) {
    try {
      const first = zlib.gunzipSync(b.subarray(0, blockSize));
      if (first.subarray(0, 4).toString('latin1') === 'BAM\u0001') return 'BAM';
    } catch {
      // not a well-formed block: say what the header says
    }
  }
  return 'BGZF (bgzip)';
}

/** 1023 bytes, 1.2 KiB, 3.4 MiB, 5.6 GiB. */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** "binary, 1.2 MiB; BAM" (or "binary, 1.2 MiB" when the format is not one we know). */
export function describeBinary(prefix: Uint8Array, plaintextSize: number): string {
  const kind = binaryKind(prefix);
  return `binary, ${humanSize(plaintextSize)}${kind ? `; ${kind}` : ''}`;
}
