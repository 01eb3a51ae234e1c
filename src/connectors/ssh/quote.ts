/**
 * POSIX shell quoting for commands sent over SSH. OpenSSH joins a command's
 * words with spaces and hands the string to the remote user's login shell, so
 * every word we send is quoted here: one single-quoted word per argument,
 * with each `'` written as `'\''` (POSIX.1-2017 XCU §2.2.2: inside single
 * quotes every character is literal, and a single quote cannot occur).
 * NUL cannot be carried in an argument at all and is refused.
 */
import { InputError } from '../../errors.js';

/** One argument as one POSIX shell word that the shell reads back byte for byte. */
export function shQuote(word: string): string {
  if (word.includes('\0')) throw new InputError('a remote command argument contains a NUL byte, which no command line can carry: remove it');
  if (word !== '' && /^[A-Za-z0-9_./:=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line (argv) as one string for the remote shell. */
export function shCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new InputError('a remote command needs at least a program name');
  return argv.map(shQuote).join(' ');
}

/** `sh -c <script> sh <args…>`: a script of ours run by sh whatever the login shell is, its arguments as "$@". */
export function shScript(script: string, args: readonly string[] = []): string {
  return shCommand(['sh', '-c', script, 'sh', ...args]);
}

/** Environment variable names we pass: portable names only (POSIX.1-2017 XBD §8.1). */
export function checkEnvName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new InputError(`environment variable name ${JSON.stringify(name)} is not a portable name (letters, digits, _; not starting with a digit): rename it`);
  }
}
