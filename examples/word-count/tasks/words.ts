/**
 * What a "word" is in this example, and which partition it belongs to.
 *
 * A word is a maximal run of ASCII letters and digits, lower-cased: every
 * other byte (spaces, punctuation, bytes of non-ASCII UTF-8 characters)
 * separates words. Working on bytes keeps the tokenizer streaming and
 * independent of chunk boundaries and text decoding.
 */

/** 1 for bytes that belong to words ([0-9A-Za-z]), 0 otherwise. */
const WORD_BYTE = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) WORD_BYTE[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) WORD_BYTE[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) WORD_BYTE[c] = 1;

export function isWordByte(byte: number): boolean {
  return WORD_BYTE[byte] === 1;
}

/**
 * Counts the words of a byte stream into `counts`. Feed chunks in order with
 * `push`, then call `end` once; a word split across two chunks is joined.
 */
export class WordCounter {
  readonly counts = new Map<string, number>();
  private carry = '';

  push(chunk: Buffer): void {
    let start = -1;
    for (let i = 0; i < chunk.length; i++) {
      if (WORD_BYTE[chunk[i] ?? 0] === 1) {
        if (start < 0) start = i;
      } else if (start >= 0 || this.carry !== '') {
        this.add(this.carry + (start >= 0 ? chunk.toString('latin1', start, i) : ''));
        this.carry = '';
        start = -1;
      }
    }
    if (start >= 0) this.carry += chunk.toString('latin1', start);
  }

  end(): Map<string, number> {
    if (this.carry !== '') this.add(this.carry);
    this.carry = '';
    return this.counts;
  }

  private add(word: string): void {
    const w = word.toLowerCase();
    this.counts.set(w, (this.counts.get(w) ?? 0) + 1);
  }
}

/**
 * The partition (0..n-1) of a word, by its first character: `a`–`z` are cut
 * into n contiguous ranges (for n = 4: a–g, h–m, n–s, t–z); digits go to
 * partition 0. Because the ranges are in byte order, concatenating the sorted
 * partitions 0..n-1 gives the sorted whole.
 */
export function partitionOf(word: string, n: number): number {
  const c = word.charCodeAt(0);
  if (c < 0x61) return 0; // digits
  return Math.floor(((c - 0x61) * n) / 26);
}

/** Byte-order comparison of ASCII words (not locale order). */
export function compareWords(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
