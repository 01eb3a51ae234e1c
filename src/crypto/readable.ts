/** A Readable fed by a ByteSink (apart from io.ts so the file-to-file path does not load node:stream). */
import { Readable } from 'node:stream';
import type { ByteSink } from './io.js';

/**
 * A sink that feeds a Readable with backpressure. `run` drives the producer;
 * its rejection destroys the readable with that error, and destroying the
 * readable makes pending and later writes fail so the producer stops.
 */
export function readableFrom(run: (sink: ByteSink) => Promise<void>): Readable {
  let wake: (() => void) | null = null;
  const readable = new Readable({
    read() {
      const w = wake;
      wake = null;
      w?.();
    },
  });
  const closed = new Error('the output stream was closed before the end');
  const sink: ByteSink = {
    async write(data) {
      if (readable.destroyed) throw closed;
      if (readable.push(Buffer.from(data))) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      if (readable.destroyed) throw closed;
    },
  };
  readable.on('close', () => {
    const w = wake;
    wake = null;
    w?.();
  });
  run(sink).then(
    () => readable.push(null),
    (err: unknown) => {
      if (!readable.destroyed) readable.destroy(err instanceof Error ? err : new Error(String(err)));
    },
  );
  return readable;
}
