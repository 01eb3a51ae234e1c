/**
 * Byte sources and sinks the payload pipeline reads and writes. A source
 * fills a caller's buffer (so a file can be read straight into shared
 * memory); a sink's `write` resolves once it no longer needs `data`, which
 * the pipeline then reuses.
 */
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';

export interface ByteSource {
  /** Reads up to `into.length` bytes into `into`; 0 means end of input. */
  read(into: Uint8Array): Promise<number>;
}

export interface ByteSink {
  /** Writes all of `data`; `data` may be reused once the promise resolves. */
  write(data: Uint8Array): Promise<void>;
}

/** Reads until `into` is full or the input ends; returns the bytes read. */
export async function readFull(source: ByteSource, into: Uint8Array): Promise<number> {
  let n = 0;
  while (n < into.length) {
    const got = await source.read(into.subarray(n));
    if (got === 0) break;
    n += got;
  }
  return n;
}

/** A source that first returns `prefix`, then the rest of `inner`. */
export class PrefixedSource implements ByteSource {
  #prefix: Uint8Array;
  readonly #inner: ByteSource;
  constructor(prefix: Uint8Array, inner: ByteSource) {
    this.#prefix = prefix;
    this.#inner = inner;
  }
  read(into: Uint8Array): Promise<number> {
    if (this.#prefix.length === 0) return this.#inner.read(into);
    const n = Math.min(into.length, this.#prefix.length);
    into.set(this.#prefix.subarray(0, n));
    this.#prefix = this.#prefix.subarray(n);
    return Promise.resolve(n);
  }
}

export function bufferSource(data: Uint8Array): ByteSource {
  return new PrefixedSource(data, { read: () => Promise.resolve(0) });
}

/** Reads any async iterable of bytes (a Readable, a generator), whatever its chunk sizes. */
export function iterableSource(input: AsyncIterable<Uint8Array | string>): ByteSource {
  const it = input[Symbol.asyncIterator]();
  let cur: Uint8Array = new Uint8Array(0);
  let done = false;
  return {
    async read(into) {
      while (cur.length === 0 && !done) {
        const r = await it.next();
        if (r.done) done = true;
        else cur = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      }
      const n = Math.min(into.length, cur.length);
      into.set(cur.subarray(0, n));
      cur = cur.subarray(n);
      return n;
    },
  };
}

export function fileSource(fh: FileHandle): ByteSource {
  return {
    async read(into) {
      const { bytesRead } = await fh.read(into, 0, into.length, null);
      return bytesRead;
    },
  };
}

export function fileSink(fh: FileHandle): ByteSink {
  return {
    async write(data) {
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await fh.write(data, off, data.length - off, null);
        off += bytesWritten;
      }
    },
  };
}

/** Writes to a Node writable (e.g. process.stdout), waiting for each write's callback. */
export function writableSink(w: Writable): ByteSink {
  return {
    write(data) {
      return new Promise((resolve, reject) => {
        w.write(data, (err) => (err ? reject(err) : resolve()));
      });
    },
  };
}

/** Collects everything written (tests, small in-memory uses). */
export class BufferSink implements ByteSink {
  readonly parts: Buffer[] = [];
  write(data: Uint8Array): Promise<void> {
    this.parts.push(Buffer.from(data));
    return Promise.resolve();
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A source over a raw file descriptor (standard input redirected from a file). */
export function fdSource(fd: number): ByteSource {
  return {
    read: (into) =>
      new Promise((resolve, reject) => {
        fs.read(fd, into, 0, into.length, null, (err, n) => (err ? reject(err) : resolve(n)));
      }),
  };
}

/** A sink over a raw file descriptor (standard output redirected to a file or /dev/null). */
export function fdSink(fd: number): ByteSink {
  const once = (data: Uint8Array, off: number): Promise<number> =>
    new Promise((resolve, reject) => {
      fs.write(fd, data, off, data.length - off, null, (err, n) => (err ? reject(err) : resolve(n)));
    });
  return {
    async write(data) {
      let off = 0;
      while (off < data.length) off += await once(data, off);
    },
  };
}
