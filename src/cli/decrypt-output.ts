/**
 * Where `sealflow decrypt` writes when no `-o` is given. Encrypted files are
 * named as age files are (`counts.tsv.age`); decrypting one at a terminal
 * writes the plaintext beside it under the name without `.age` (`counts.tsv`),
 * as gunzip does, instead of printing it on the screen. Redirected or piped
 * standard output, or an input without the suffix, keeps the plain age
 * behaviour: the plaintext goes to standard output.
 */
import fs from 'node:fs';
import { InputError } from '../errors.js';

const SUFFIX = '.age';

/** `name` without a trailing `.age`, or null if it has none (or is nothing but the suffix). */
export function withoutAgeSuffix(name: string): string | null {
  if (!name.endsWith(SUFFIX)) return null;
  const base = name.slice(0, -SUFFIX.length);
  return base === '' || base.endsWith('/') ? null : base;
}

/**
 * The output file for `sealflow decrypt [input]` without `-o`, or undefined
 * for standard output. Refuses (InputError, nothing written) to replace an
 * existing file.
 */
export function derivedOutput(input: string | undefined, stdoutIsTerminal: boolean): string | undefined {
  if (!stdoutIsTerminal || input === undefined || input === '-') return undefined;
  const target = withoutAgeSuffix(input);
  if (target === null) return undefined;
  if (fs.existsSync(target)) {
    throw new InputError(`${target} exists already (the name of ${input} without .age); give -o FILE for another name, or -o - for standard output`);
  }
  return target;
}
