/**
 * Bounded memo tables for pure, expensive steps, keyed by SHA-256 of their
 * inputs. What is cached (and why it is sound):
 * - parsing (certificates, PEM chains, CRLs, signed JSON, PCK extensions):
 *   a pure function of the bytes;
 * - SUCCESSFUL signature checks over collateral (certificate-by-issuer, CRL,
 *   TCB info / QE identity signatures): a pure function of the signed bytes,
 *   the signature and the key's certificate, all part of the key.
 * Never cached: anything that depends on the verification time (validity,
 * freshness), revocation lookups, failures (they are recomputed and thrown
 * again), and the quote's own signatures.
 */
import { createHash } from 'node:crypto';

const all: Memo<unknown>[] = [];

/** Empties every memo table (benchmarks measure the cold path with it). */
export function clearIntelMemos(): void {
  for (const m of all) m.clear();
}

export class Memo<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max = 512) {
    all.push(this as Memo<unknown>);
  }

  clear(): void {
    this.map.clear();
  }

  get(key: string, compute: () => V): V {
    const hit = this.map.get(key);
    if (hit !== undefined) return hit;
    const value = compute();
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(key, value);
    return value;
  }
}

/** SHA-256 over the length-prefixed parts: the memo key of a tuple of byte strings. */
export function keyOf(...parts: (Uint8Array | string)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    h.update(len).update(b);
  }
  return h.digest('base64');
}
