/**
 * The bounds-checked little-endian reader of the Intel parsers (every failure
 * an `AttestationError('malformed')`), and the one `fail` helper all Intel
 * code throws through. Hex and byte comparisons come from ../bytes.ts.
 */
import { isAllZero } from '../bytes.js';
import { AttestationError, type ReasonCode } from '../verifier.js';

export function fail(reason: ReasonCode, message: string): never {
  throw new AttestationError(reason, message);
}

/** Reads a structure front to back; `what` names it in error messages. */
export class Reader {
  private pos = 0;
  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {}

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  bytes(n: number, field: string): Uint8Array {
    if (n < 0 || this.pos + n > this.buf.length) {
      fail('malformed', `${this.what} is truncated: ${field} needs ${n} bytes at offset ${this.pos}, ${this.remaining} left`);
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u16(field: string): number {
    const b = this.bytes(2, field);
    return b[0]! | (b[1]! << 8);
  }

  u32(field: string): number {
    const b = this.bytes(4, field);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  /** The rest must be absent or zero padding (quote buffers are often padded). */
  endAllowingZeroPadding(): void {
    const rest = this.buf.subarray(this.pos);
    if (!isAllZero(rest)) fail('malformed', `${this.what} has ${rest.length} unexpected trailing bytes at offset ${this.pos}`);
  }
}
