/**
 * Newline framing with a hard limit (docs/protocol.md "Framing and
 * limits"). Each byte received is scanned for '\n' exactly once: a frame
 * spread over many chunks is kept as a list of chunks and joined once, when
 * its newline arrives. A frame that grows past `maxFrame` bytes is refused
 * as soon as it does, newline or not, so an endless line costs at most
 * `maxFrame` bytes of memory and one pass over them.
 */
import { ProtocolError } from './protocol-error.js';

export class LineFramer {
  #parts: Buffer[] = [];
  #pending = 0;
  /** Bytes scanned for '\n' so far: equals the bytes received (the linearity the tests check). */
  scanned = 0;

  constructor(
    readonly maxFrame: number,
    /** For the error message: which channel this is. */
    readonly channel = 'channel',
  ) {}

  /** Feeds one chunk; returns the frames it completes (without their newline). Throws ProtocolError `frame-too-large`. */
  push(chunk: Uint8Array): Buffer[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const frames: Buffer[] = [];
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      const end = nl < 0 ? buf.length : nl;
      this.scanned += end - start + (nl < 0 ? 0 : 1);
      if (this.#pending + (end - start) > this.maxFrame) throw this.#tooLarge();
      if (nl < 0) break;
      const tail = buf.subarray(start, nl);
      frames.push(this.#parts.length === 0 ? tail : Buffer.concat([...this.#parts, tail]));
      this.#parts = [];
      this.#pending = 0;
      start = nl + 1;
    }
    if (start < buf.length) {
      this.#parts.push(buf.subarray(start));
      this.#pending += buf.length - start;
    }
    return frames;
  }

  /** Bytes of the frame received so far without its newline. */
  get pending(): number {
    return this.#pending;
  }

  #tooLarge(): ProtocolError {
    this.#parts = [];
    this.#pending = 0;
    return new ProtocolError('frame-too-large', `a frame of more than ${this.maxFrame} bytes on the ${this.channel} (the limit; see docs/protocol.md "Framing and limits")`);
  }
}
