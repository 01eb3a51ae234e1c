/**
 * The partition files that pass from `init` to every round's `partial` and
 * to `reassign`: an 8-byte header, then the points as little-endian pairs.
 *
 * - `KMPi32\n\0`: int32 pairs (x·10⁴, y·10⁴), 8 bytes a point. A point is
 *   stored this way only if `m / 10⁴` gives back exactly the double that was
 *   parsed (true of any decimal with at most 4 fractional digits and
 *   |value| < 214748.3648, which the generator writes), so the readers see
 *   the same doubles as the direct computation, bit for bit.
 * - `KMPf64\n\0`: float64 pairs, 16 bytes a point, for any other input.
 *
 * Every round re-reads its partition (and, in encrypted runs, pulls, checks
 * and decrypts it), so half the bytes is half that cost.
 */
export type PartitionKind = 'i32' | 'f64';

export const HEADER_BYTES = 8;
const MAGIC: Readonly<Record<PartitionKind, Buffer>> = { i32: Buffer.from('KMPi32\n\0', 'latin1'), f64: Buffer.from('KMPf64\n\0', 'latin1') };
export const SCALE = 1e4;
const I32_MAX = 2 ** 31 - 1;

export function header(kind: PartitionKind): Buffer {
  return MAGIC[kind];
}

/** The kind named by a partition file's first 8 bytes; throws naming the file otherwise. */
export function kindOf(head: Uint8Array, file: string): PartitionKind {
  for (const kind of ['i32', 'f64'] as const) if (Buffer.compare(Buffer.from(head.buffer, head.byteOffset, HEADER_BYTES), MAGIC[kind]) === 0) return kind;
  throw new Error(`${file}: not a k-means partition file (no KMPi32/KMPf64 header)`);
}

export const pointBytes = (kind: PartitionKind): number => (kind === 'i32' ? 8 : 16);

/**
 * `v` as its int32 fixed-point code if that code decodes to exactly `v`, else
 * null. (-0 decodes as +0, which `===` accepts: every use of a coordinate
 * here — differences, squares, sums that start at +0 — gives the same result
 * for both.)
 */
export function fixedPoint(v: number): number | null {
  const m = Math.round(v * SCALE);
  return Math.abs(m) <= I32_MAX && m / SCALE === v ? m : null;
}
