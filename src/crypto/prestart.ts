/**
 * Starts the crypto worker pool at the very start of `sealflow encrypt` and
 * `sealflow decrypt` on a large regular file, before the command line parser
 * and the command's modules load: a worker takes ~30 ms of CPU to boot, and
 * booting it on the other core while this thread loads modules and reads
 * keys means it is ready when the payload starts. Best effort and side-effect
 * free otherwise: a misread command line at worst starts an idle worker (the
 * pool is unref'd), or none, and the command itself reports every error.
 * Only node:fs is loaded unless the pool is started; which options take a
 * value is handed in by the caller (the CLI, from its declarations in
 * cli/crypto-flags.ts), so this module imports nothing above it.
 */
import fs from 'node:fs';

/** Inputs at least this large start the pool (below, one thread is faster than booting a worker). */
export const EARLY_POOL_BYTES = 8 * 1024 * 1024;

/** encrypt/decrypt options that take a value (the next argument, unless attached), as the commands declare them. */
export type ValueFlags = Readonly<Record<'encrypt' | 'decrypt', ReadonlySet<string>>>;

/** The input argument of an encrypt/decrypt command line: a path, '-' / undefined for stdin, or null if not such a command. */
export function cryptoInputOf(argv: readonly string[], valueFlags: ValueFlags): string | undefined | null {
  if (argv[0] !== 'encrypt' && argv[0] !== 'decrypt') return null;
  const withValue = valueFlags[argv[0]];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (a === '-h' || a === '--help') return null;
    if (withValue.has(a)) i++;
    else if (a === '-' || !a.startsWith('-')) return a;
  }
  return undefined;
}

/** True if `input` (a path, or standard input when undefined or '-') is a regular file of at least EARLY_POOL_BYTES. */
export function isLargeFileInput(input: string | undefined): boolean {
  try {
    const st = input === undefined || input === '-' ? fs.fstatSync(0) : fs.statSync(input);
    return st.isFile() && st.size >= EARLY_POOL_BYTES;
  } catch {
    return false; // reported by the command
  }
}

/** Starts the shared pool (asynchronously) if `argv` (without node and script) encrypts or decrypts a large file. */
export function prestartCryptoPool(argv: readonly string[], valueFlags: ValueFlags): void {
  const input = cryptoInputOf(argv, valueFlags);
  if (input === null || !isLargeFileInput(input)) return;
  import('./pool.js').then(
    (m) => m.sharedPool(),
    () => undefined, // the command loads it again and reports
  );
}
