/**
 * The options of `sealflow encrypt` and `sealflow decrypt`, declared once:
 * the commands register them with commander (commands/encrypt.ts,
 * commands/decrypt.ts), and cli/main.ts hands the early worker start
 * (crypto/prestart.ts) which options take a value (`cryptoValueFlags`),
 * without loading commander or the command modules: this module imports
 * nothing at run time (commander and prestart only as types).
 */
import type { Command } from 'commander';
import type { ValueFlags } from '../crypto/prestart.js';

export interface FlagSpec {
  /** Commander flags, e.g. `-o, --output <file>`; `<…>` or `[…]` marks a value. */
  readonly flags: string;
  readonly description: string;
  /** The option may be given several times; its values collect into an array. */
  readonly repeatable?: true;
}

export const ENCRYPT_FLAGS: readonly FlagSpec[] = [
  { flags: '-r, --recipient <age1…>', description: 'encrypt to this recipient (repeatable)', repeatable: true },
  { flags: '-R, --recipients-file <file>', description: 'encrypt to every recipient listed in FILE (repeatable)', repeatable: true },
  { flags: '-p, --passphrase', description: 'encrypt with a passphrase (scrypt), from $SEALFLOW_PASSPHRASE or a terminal prompt' },
  { flags: '-a, --armor', description: 'write ASCII-armored (PEM-like) text instead of binary' },
  { flags: '-o, --output <file>', description: 'write to FILE (default: standard output)' },
];

export const DECRYPT_FLAGS: readonly FlagSpec[] = [
  { flags: '-i, --identity <file>', description: 'identity file, as written by "sealflow keygen" or "age-keygen" (repeatable)', repeatable: true },
  { flags: '-p, --passphrase', description: 'decrypt a passphrase-encrypted file; passphrase from $SEALFLOW_PASSPHRASE or a terminal prompt' },
  { flags: '-o, --output <file>', description: 'write the plaintext to FILE, or - for standard output (default: standard output; at a terminal, X.age decrypts to X)' },
  { flags: '--receipt <file>', description: "first check the file's SHA-256 against this run receipt (signature verified); refuse if it does not match" },
  { flags: '--master-key <key>', description: 'with --receipt: the master you trust, pin or public key file (default: the local master)' },
  { flags: '--untar <dir>', description: 'the file is a directory output of an encrypted run (<id>.tar.age): extract it into DIR (new); same as decrypting to stdout | tar x' },
];

/** Every spelling (`-o`, `--output`) of the options in `specs` that take a value. */
export function valueFlags(specs: readonly FlagSpec[]): string[] {
  const out: string[] = [];
  for (const s of specs) {
    if (!/[<[]/.test(s.flags)) continue;
    for (const part of s.flags.split(/[ ,|]+/)) if (part.startsWith('-')) out.push(part);
  }
  return out;
}

/** What the early worker start (crypto/prestart.ts) is given: each command's options that take a value. */
export function cryptoValueFlags(): ValueFlags {
  return { encrypt: new Set(valueFlags(ENCRYPT_FLAGS)), decrypt: new Set(valueFlags(DECRYPT_FLAGS)) };
}

const collect = (v: string, acc: string[]): string[] => [...acc, v];

/** Declares `specs` on `cmd`: a repeatable option collects into an array (default `[]`). */
export function addFlags(cmd: Command, specs: readonly FlagSpec[]): void {
  for (const s of specs) {
    if (s.repeatable) cmd.option(s.flags, s.description, collect, []);
    else cmd.option(s.flags, s.description);
  }
}
