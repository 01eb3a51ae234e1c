/**
 * Input, output and passphrase handling shared by `sealflow encrypt` and
 * `sealflow decrypt`. Output to a file goes to a temporary file in the same
 * directory, renamed over the target only on success and removed on failure,
 * so a failed decryption never leaves plaintext behind.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { InputError, OperationError } from '../errors.js';
import { sharedPool } from '../crypto/pool.js';
import { EARLY_POOL_BYTES, isLargeFileInput } from '../crypto/prestart.js';
import type { PipelineOptions } from '../crypto/pipeline.js';
// node:tty is imported where used: it loads node:net, which the file-to-file path never needs.
import type { ReadStream } from 'node:tty';
import { fdSink, fdSource, fileSink, fileSource, iterableSource, writableSink } from '../crypto/io.js';
import type { ByteSink, ByteSource } from '../crypto/io.js';

export interface Input {
  readonly source: ByteSource;
  /** Size in bytes when the input is a regular file (lets the caller start the worker pool early). */
  readonly size: number | null;
  /** The descriptor of a named regular input file, for positional reads (else null). */
  readonly fd: number | null;
  close(): Promise<void>;
}

export async function openInput(file: string | undefined): Promise<Input> {
  if (file === undefined || file === '-') {
    const st = fs.fstatSync(0);
    if (st.isFile()) return { source: fdSource(0), size: st.size, fd: null, close: async () => undefined };
    return { source: iterableSource(process.stdin), size: null, fd: null, close: async () => undefined };
  }
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new InputError(`cannot read input file ${file}: ${(err as Error).message}`);
  }
  const st = await fh.stat();
  const regular = st.isFile();
  return { source: fileSource(fh), size: regular ? st.size : null, fd: regular ? fh.fd : null, close: () => fh.close() };
}

/**
 * Starts the worker pool before any header or key work when the input is a
 * regular file large enough to use it (main.ts usually has already, before
 * loading the command; this covers other callers). Best effort.
 */
export function prestartPool(file: string | undefined): void {
  if (isLargeFileInput(file)) sharedPool();
}

/** Pipeline options for an input of known size: start the pool at once for large files. */
export function pipelineFor(size: number | null): PipelineOptions {
  if (size !== null && size >= EARLY_POOL_BYTES && sharedPool()) return { parallelThreshold: 0 };
  return {};
}

/** Runs `work`, then commits the output; on any failure removes partial output and rethrows. */
export async function finishOutput(out: Output, input: Input, work: () => Promise<void>): Promise<void> {
  try {
    await work();
    await out.commit();
  } catch (err) {
    await out.abort();
    if (err instanceof InputError || err instanceof OperationError) throw err;
    throw new OperationError(err instanceof Error ? err.message : String(err));
  } finally {
    await input.close();
  }
}

/**
 * Ends the process at once with status 0, once a command that used the
 * crypto worker pool has finished and committed a file output. A normal exit
 * would first tear down the worker's and this thread's V8 heaps, which is
 * pure overhead for a finished command (measured: 0.01–0.03 CPU-s on a
 * 256 MiB encrypt). Standard error is written synchronously (files, pipes
 * and terminals on Linux), so nothing is lost.
 */
export function exitAfterPooledOutput(out: Output, size: number | null): void {
  if (process.platform === 'linux' && out.fd !== null && size !== null && size >= EARLY_POOL_BYTES) process.exit(0);
}

export interface Output {
  readonly sink: ByteSink;
  /**
   * A descriptor that takes positional writes (a fresh temporary file, or a
   * device such as /dev/null), else null (standard output).
   */
  readonly fd: number | null;
  /** Makes the output visible (renames the temporary file); call after the last byte authenticated. */
  commit(): Promise<void>;
  /** Removes any partial output. */
  abort(): Promise<void>;
}

/**
 * Opens the output: `file`, or standard output when undefined or "-".
 * `binary` output is refused on a terminal; `mode` is for a created file.
 */
export async function openOutput(file: string | undefined, opts: { binary: boolean; mode: number }): Promise<Output> {
  if (file === undefined || file === '-') {
    if (opts.binary && (await import('node:tty')).isatty(1)) {
      throw new InputError('refusing to write binary output to a terminal; use -o FILE, redirect it, or -a for armored text');
    }
    const st = fs.fstatSync(1);
    const sink = st.isFile() || st.isCharacterDevice() ? fdSink(1) : writableSink(process.stdout);
    return { sink, fd: null, commit: async () => undefined, abort: async () => undefined };
  }
  const existing = await stat(file).catch(() => null);
  if (existing && !existing.isFile()) {
    // A device or pipe (e.g. /dev/null): nothing to rename; write in place.
    const fh = await openOrFail(file, 'w', opts.mode);
    // Positional writes only where they mean something: /dev/null, not a pipe or terminal.
    const positional = fs.realpathSync(file) === '/dev/null';
    return { sink: fileSink(fh), fd: positional ? fh.fd : null, commit: () => fh.close(), abort: () => fh.close() };
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${crypto.randomBytes(6).toString('hex')}.sealflow-tmp`);
  const fh = await openOrFail(tmp, 'wx', opts.mode, file);
  let closed = false;
  const close = async (): Promise<void> => {
    if (!closed) {
      closed = true;
      await fh.close();
    }
  };
  return {
    sink: fileSink(fh),
    fd: fh.fd,
    async commit() {
      await close();
      await rename(tmp, file);
    },
    async abort() {
      await close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
    },
  };
}

async function openOrFail(p: string, flags: string, mode: number, shown = p): Promise<FileHandle> {
  try {
    return await open(p, flags, mode);
  } catch (err) {
    throw new InputError(`cannot write output file ${shown}: ${(err as Error).message}`);
  }
}

/**
 * The passphrase: $SEALFLOW_PASSPHRASE if set, else typed on the terminal
 * (asked twice when `confirm`). InputError when neither is available.
 */
export async function getPassphrase(confirm: boolean): Promise<string> {
  const env = process.env['SEALFLOW_PASSPHRASE'];
  if (env !== undefined) {
    if (env === '') throw new InputError('SEALFLOW_PASSPHRASE is set but empty');
    return env;
  }
  let fd: number;
  try {
    fd = fs.openSync('/dev/tty', 'r+');
  } catch {
    throw new InputError('no passphrase: set SEALFLOW_PASSPHRASE or run on a terminal');
  }
  const tty = await import('node:tty');
  const input = new tty.ReadStream(fd);
  try {
    const first = await prompt(input, fd, 'Enter passphrase: ');
    if (first === '') throw new InputError('the passphrase is empty');
    if (confirm && (await prompt(input, fd, 'Confirm passphrase: ')) !== first) throw new InputError('the passphrases do not match');
    return first;
  } finally {
    input.destroy(); // closes the terminal descriptor
  }
}

/** Reads one line from the terminal with echo off (raw mode). */
function prompt(input: ReadStream, fd: number, text: string): Promise<string> {
  fs.writeSync(fd, text);
  input.setRawMode(true);
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (err: Error | null): void => {
      input.setRawMode(false);
      input.removeAllListeners('data');
      input.pause();
      fs.writeSync(fd, '\n');
      if (err) reject(err);
      else resolve(typed);
    };
    input.on('data', (b: Buffer) => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003') return done(new InputError('interrupted'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    });
  });
}
