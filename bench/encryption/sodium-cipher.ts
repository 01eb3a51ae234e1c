/**
 * The age payload's chunk cipher (src/crypto/stream.ts) through libsodium
 * (`sodium-native`): ChaCha20-Poly1305 IETF written straight into the
 * caller's buffer, so a batch needs no fresh buffer per chunk (node:crypto's
 * `update` always returns a new, zero-filled one). Same format, same bytes.
 *
 * Measured against node:crypto by cipher.ts, and kept here, in the bench,
 * because it did not earn a place in src/ (bench/RESULTS.md, "BULK —
 * session 7"): libsodium's ChaCha20 and Poly1305 are slower per byte than
 * OpenSSL's AVX-512 code by more than the allocations they save. Were it
 * ever to come in, it could serve the master/CLI side only: a native addon
 * can be neither loaded from memory (the executor bundle) nor a measured
 * file of every enclave — test/crypto/sodium-boundary.test.ts keeps it out
 * of src/. Loading is best effort: null when the addon is missing or does
 * not load (no prebuilt binary for the platform, or the dependency removed).
 */
import { createRequire } from 'node:module';
import { CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, TAG_SIZE, chunkCount, openChunk, type BatchResult } from '../../src/crypto/stream.js';

/** A batch cipher writing into the caller's buffers (the shapes of stream.ts's sealBatch / openBatch). */
export interface IntoCipher {
  readonly name: string;
  /** Seals `input` (whole chunks, a shorter last one only when `final`) into `output`; returns the bytes written. */
  sealInto(key: Uint8Array, counter: number, final: boolean, input: Uint8Array, output: Uint8Array): number;
  /** Opens `input` into `output`; on failure `output` holds unauthenticated bytes and must be discarded. */
  openInto(key: Uint8Array, counter: number, final: boolean, input: Uint8Array, output: Uint8Array): BatchResult;
}

/** The subset of sodium-native used here. */
interface Sodium {
  crypto_aead_chacha20poly1305_ietf_encrypt(c: Uint8Array, m: Uint8Array, ad: null, nsec: null, npub: Uint8Array, k: Uint8Array): number;
  crypto_aead_chacha20poly1305_ietf_decrypt(m: Uint8Array, nsec: null, c: Uint8Array, ad: null, npub: Uint8Array, k: Uint8Array): number;
}

/** STREAM nonce (as stream.ts): counter as 11 big-endian bytes, then the last-chunk flag. */
function setNonce(nonce: Buffer, counter: number, last: boolean): void {
  nonce.fill(0);
  nonce.writeUInt32BE(Math.floor(counter / 2 ** 32), 3);
  nonce.writeUInt32BE(counter >>> 0, 7);
  nonce[11] = last ? 1 : 0;
}

function sodiumCipher(na: Sodium): IntoCipher {
  const nonce = Buffer.alloc(12);
  return {
    name: 'sodium-native',
    sealInto(key, counter, final, input, output) {
      if (!final && input.length % CHUNK_SIZE !== 0) throw new Error('only the final batch may end with a partial chunk');
      if (input.length === 0 && (!final || counter !== 0)) throw new Error('an empty chunk is only valid as the whole payload');
      const n = chunkCount('seal', input.length);
      let out = 0;
      for (let i = 0; i < n; i++) {
        const m = input.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE);
        setNonce(nonce, counter + i, final && i === n - 1);
        out += na.crypto_aead_chacha20poly1305_ietf_encrypt(output.subarray(out, out + m.length + TAG_SIZE), m, null, null, nonce, key);
      }
      return out;
    },
    openInto(key, counter, final, input, output) {
      const n = chunkCount('open', input.length);
      let out = 0;
      for (let i = 0; i < n; i++) {
        const c = input.subarray(i * ENCRYPTED_CHUNK_SIZE, (i + 1) * ENCRYPTED_CHUNK_SIZE);
        const last = final && i === n - 1;
        let ok = c.length >= TAG_SIZE && !(last && c.length === TAG_SIZE && counter + i !== 0);
        if (ok) {
          setNonce(nonce, counter + i, last);
          try {
            na.crypto_aead_chacha20poly1305_ietf_decrypt(output.subarray(out, out + c.length - TAG_SIZE), null, c, null, nonce, key);
          } catch {
            ok = false;
          }
        }
        if (!ok) {
          // The failure path only: node:crypto's openChunk says why (truncation, trailing data, forgery).
          const r = openChunk(key, Buffer.alloc(12), counter + i, last, c);
          return { ok: false, chunk: counter + i, reason: Buffer.isBuffer(r) ? 'the chunk does not authenticate' : r.reason };
        }
        out += c.length - TAG_SIZE;
      }
      return { ok: true, length: out };
    },
  };
}

let loaded: IntoCipher | null | undefined;

/** libsodium's cipher, or null if `sodium-native` cannot be loaded here (then use node:crypto). */
export function loadSodiumCipher(): IntoCipher | null {
  if (loaded !== undefined) return loaded;
  try {
    const na = createRequire(import.meta.url)('sodium-native') as Sodium;
    loaded = typeof na.crypto_aead_chacha20poly1305_ietf_encrypt === 'function' ? sodiumCipher(na) : null;
  } catch {
    loaded = null;
  }
  return loaded;
}
