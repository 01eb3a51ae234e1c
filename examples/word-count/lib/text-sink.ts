/**
 * A buffered text writer with backpressure, for the example tasks and data
 * generators.
 *
 * Copied, byte for byte, into the lib/ of each example whose tasks use it, so
 * that an example's folder, copied anywhere, runs on its own;
 * test/examples/self-contained.test.ts keeps the copies identical to
 * examples/_lib/.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

/**
 * A buffered text writer with backpressure: `write` collects strings and
 * flushes about every `chunk` characters, awaiting 'drain' when needed.
 */
export class TextSink {
  private parts: string[] = [];
  private size = 0;
  private readonly stream: Writable;

  constructor(
    target: string | Writable,
    private readonly chunk = 1 << 16,
  ) {
    this.stream = typeof target === 'string' ? createWriteStream(target) : target;
  }

  /** Adds text; returns a promise only when the buffer was flushed and the stream needs draining. */
  write(text: string): Promise<void> | undefined {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= this.chunk) return this.flush();
    return undefined;
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const data = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(data)) await once(this.stream, 'drain');
  }

  /** Flushes and closes the stream (not process.stdout). */
  async close(): Promise<void> {
    await this.flush();
    if (this.stream === process.stdout) return;
    this.stream.end();
    await once(this.stream, 'finish');
  }
}
