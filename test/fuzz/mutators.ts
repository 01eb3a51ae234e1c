/**
 * The fuzz runner's input generator (docs/fuzzing.md): a small deterministic
 * PRNG and the mutators it applies to a target's seeds. Everything here is a
 * pure function of the PRNG state, so a run with the same seed feeds the same
 * inputs in the same order.
 */

/** sfc32: a fast 32-bit PRNG with a 128-bit state; good enough to pick mutations. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number, stream: string) {
    // Mix the stream name (the target's) into the seed so targets get different sequences.
    let h = 0x811c9dc5 ^ seed;
    for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193);
    this.a = seed >>> 0;
    this.b = h >>> 0;
    this.c = (h ^ 0x9e3779b9) >>> 0;
    this.d = 1;
    for (let i = 0; i < 16; i++) this.next();
  }
  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)] as T;
  }
}

/** The largest input a mutation may produce. */
export const MAX_INPUT = 1 << 20;

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function insertAt(b: Uint8Array, at: number, x: Uint8Array): Uint8Array {
  return concat(b.subarray(0, at), x, b.subarray(at));
}

function repeat(s: string, n: number): Uint8Array {
  return enc(s.repeat(n));
}

/** Depths around and far beyond the YAML nesting limit (100). */
const DEPTHS = [8, 99, 100, 101, 300, 3000, 20000];

/** Bytes that are special somewhere: YAML indicators, line ends, NUL, 0xff, age/armor/tar separators. */
const SPECIAL = enc('\n\r\t\x0b\x00\xff:-[]{},#&*!|>\'"%@`?=/.\\ ');

/** Unicode edge cases, as raw bytes (some deliberately invalid UTF-8). */
const UNICODE: readonly Uint8Array[] = [
  enc('\ufeff'),
  enc('\u0085'),
  enc('\u2028'),
  enc('\u2029'),
  enc('\u202e'),
  enc('\ufffd'),
  enc('\u{1f600}'),
  enc('e\u0301'),
  Uint8Array.of(0xed, 0xa0, 0x80), // a lone surrogate, encoded
  Uint8Array.of(0xc0, 0x80), // an overlong NUL
  Uint8Array.of(0xf4, 0x90, 0x80, 0x80), // past U+10FFFF
  Uint8Array.of(0xe2, 0x82), // a truncated sequence
  Uint8Array.of(0xff, 0xfe),
];

const HUGE_NUMBERS = ['9'.repeat(400), '1e999999', '-1e-999999', '0x' + 'f'.repeat(40), '18446744073709551616', '-9223372036854775809', '1' + '0'.repeat(20), 'NaN', '.inf', '0o777777777777777777777', '4294967296', '-0'];

export interface Mutator {
  readonly name: string;
  /** A new input from `input` (and the other seeds, for splicing). */
  readonly apply: (input: Uint8Array, rng: Prng, seeds: readonly Uint8Array[]) => Uint8Array;
}

/** A position inside `b`, biased towards line starts and token boundaries now and then. */
function position(b: Uint8Array, rng: Prng): number {
  const p = rng.below(b.length + 1);
  if (rng.below(3) !== 0) return p;
  // Move to just after the next space, newline, ':' or ','.
  for (let q = p; q < b.length; q++) if (b[q] === 10 || b[q] === 32 || b[q] === 58 || b[q] === 44) return q + 1;
  return p;
}

export const MUTATORS: readonly Mutator[] = [
  {
    name: 'flip',
    apply: (b, rng) => {
      if (b.length === 0) return Uint8Array.of(rng.below(256));
      const out = new Uint8Array(b);
      const n = 1 + rng.below(4);
      for (let i = 0; i < n; i++) {
        const at = rng.below(out.length);
        out[at] = (out[at] as number) ^ (1 << rng.below(8));
      }
      return out;
    },
  },
  {
    name: 'set-byte',
    apply: (b, rng) => {
      if (b.length === 0) return Uint8Array.of(rng.pick([...SPECIAL]));
      const out = new Uint8Array(b);
      out[rng.below(out.length)] = rng.below(2) === 0 ? rng.below(256) : (SPECIAL[rng.below(SPECIAL.length)] as number);
      return out;
    },
  },
  { name: 'truncate', apply: (b, rng) => b.slice(0, rng.below(b.length + 1)) },
  {
    name: 'insert',
    apply: (b, rng) => {
      const n = 1 + rng.below(16);
      const x = new Uint8Array(n);
      for (let i = 0; i < n; i++) x[i] = rng.below(2) === 0 ? rng.below(256) : (SPECIAL[rng.below(SPECIAL.length)] as number);
      return insertAt(b, position(b, rng), x);
    },
  },
  {
    name: 'delete',
    apply: (b, rng) => {
      const at = rng.below(b.length + 1);
      const len = 1 + rng.below(Math.max(1, Math.min(64, b.length - at)));
      return concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + len)));
    },
  },
  {
    name: 'duplicate',
    apply: (b, rng) => {
      const at = rng.below(b.length + 1);
      const len = rng.below(Math.min(256, b.length - at) + 1);
      const slice = b.slice(at, at + len);
      const times = 1 + rng.below(rng.below(4) === 0 ? 200 : 3);
      const rep = new Uint8Array(slice.length * times);
      for (let i = 0; i < times; i++) rep.set(slice, i * slice.length);
      return insertAt(b, position(b, rng), rep);
    },
  },
  {
    name: 'splice',
    apply: (b, rng, seeds) => {
      const other = rng.pick(seeds);
      return concat(b.subarray(0, rng.below(b.length + 1)), other.subarray(rng.below(other.length + 1)));
    },
  },
  {
    name: 'nest',
    apply: (b, rng) => {
      const n = rng.pick(DEPTHS);
      const kind = rng.below(6);
      const x =
        kind === 0 ? repeat('[', n)
        : kind === 1 ? repeat('{', n)
        : kind === 2 ? repeat('- ', n)
        : kind === 3 ? enc(Array.from({ length: Math.min(n, 3000) }, (_, i) => ' '.repeat(i) + 'k:\n').join(''))
        : kind === 4 ? concat(repeat('[', n), repeat(']', n))
        : repeat('{a: ', n);
      return insertAt(b, position(b, rng), x);
    },
  },
  { name: 'huge-number', apply: (b, rng) => insertAt(b, position(b, rng), enc(rng.pick(HUGE_NUMBERS))) },
  {
    name: 'long-string',
    apply: (b, rng) => {
      const len = rng.pick([300, 4096, 65537, 200_000]);
      const ch = rng.pick(['A', ' ', '\n', '0', 'é', '#', '\\']);
      return insertAt(b, position(b, rng), repeat(ch, len));
    },
  },
  { name: 'unicode', apply: (b, rng) => insertAt(b, position(b, rng), rng.pick(UNICODE)) },
];

/** One fuzz input: 1–3 stacked mutations of a seed. Returns the input and the mutators' names (`flip+nest`). */
export function mutate(seeds: readonly Uint8Array[], rng: Prng): { input: Uint8Array; mutator: string } {
  let input = rng.pick(seeds);
  const names: string[] = [];
  const n = 1 + (rng.below(4) === 0 ? 1 + rng.below(2) : 0);
  for (let i = 0; i < n; i++) {
    const m = rng.pick(MUTATORS);
    const next = m.apply(input, rng, seeds);
    if (next.length > MAX_INPUT) continue;
    input = next;
    names.push(m.name);
  }
  return { input, mutator: names.length > 0 ? names.join('+') : 'none' };
}
