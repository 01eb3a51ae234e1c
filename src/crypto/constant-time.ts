/**
 * Comparison of MACs and other authenticators in constant time: the time
 * taken does not depend on where two values of equal length first differ.
 * Their length is not secret (a MAC's length is fixed), so values of
 * different lengths are unequal at once.
 */
import { timingSafeEqual } from 'node:crypto';

/** True when `a` and `b` hold the same bytes (strings: the same UTF-8 bytes, e.g. two hex MACs). */
export function equalSecrets(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const x = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const y = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  return x.length === y.length && timingSafeEqual(x, y);
}
