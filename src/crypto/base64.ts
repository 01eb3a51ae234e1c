/**
 * Strict, canonical base64 (RFC 4648 §4, standard alphabet) as age uses it.
 *
 * Node's `Buffer.from(s, 'base64')` silently skips invalid characters and
 * accepts non-canonical trailing bits; age requires rejecting both, so every
 * decode here checks the alphabet and round-trips the result.
 */

const ALPHABET = /^[A-Za-z0-9+/]*$/;

/** Encodes without `=` padding (age header: stanza arguments, bodies, MAC). */
export function encodeUnpadded(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}

/**
 * Decodes unpadded canonical base64, or returns null if `s` is not exactly
 * the unpadded encoding of some byte string (bad characters, `=`, a length
 * of 1 mod 4, or non-zero unused bits).
 */
export function decodeUnpadded(s: string): Buffer | null {
  if (!ALPHABET.test(s) || s.length % 4 === 1) return null;
  const out = Buffer.from(s, 'base64');
  return encodeUnpadded(out) === s ? out : null;
}

/**
 * Decodes padded canonical base64 (the armor): length a multiple of 4, `=`
 * only as the final one or two characters, zero unused bits. Null otherwise.
 */
export function decodePadded(s: string): Buffer | null {
  if (s.length % 4 !== 0) return null;
  const body = s.endsWith('==') ? s.slice(0, -2) : s.endsWith('=') ? s.slice(0, -1) : s;
  if (!ALPHABET.test(body)) return null;
  const out = Buffer.from(body, 'base64');
  return out.toString('base64') === s ? out : null;
}
