#!/usr/bin/env node
/**
 * The `sealflow` command. Each subcommand lives in `commands/<name>.ts` and is
 * listed in `commands/index.ts`.
 *
 * Exit status, for every command: 0 success; 1 the operation was attempted
 * and failed; 2 the input or the command line was invalid and nothing was done;
 * 130 / 143 cancelled by SIGINT / SIGTERM (signals.ts).
 */
import { prestartCryptoPool } from '../crypto/prestart.js';
import { cryptoValueFlags } from './crypto-flags.js';
import { Command, CommanderError } from 'commander';
import { InputError, OperationError } from '../errors.js';
import { commands } from './commands/index.js';
import { isVersionOnly, VERSION } from './version.js';

/**
 * The program with the commands `argv` needs: only the named subcommand when
 * `argv` starts with one (start-up cost is that command's imports alone),
 * else every command (help, suggestions for a mistyped name).
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const chosen = commands.find((c) => c.name === argv[0]);
  const modules = await Promise.all((chosen ? [chosen] : commands).map((c) => c.load()));
  const program = new Command('sealflow')
    .description('Confidential workflows: run DAGs of tasks on untrusted machines inside attested TEEs, with age-encrypted data.')
    .version(VERSION)
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const m of modules) m.register(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  if (isVersionOnly(argv)) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv as string[], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err);
  }
}

export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version arrive here with exit code 0.
    if (err.exitCode === 0) return 0;
    return 2; // commander already printed the usage error
  }
  if (err instanceof InputError || err instanceof OperationError) {
    process.stderr.write(`sealflow: ${err.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`sealflow: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
  if (process.env['SEALFLOW_DEBUG'] === '1' && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return 1;
}

// First: for encrypt/decrypt of a large file the crypto worker boots while the rest loads.
prestartCryptoPool(process.argv.slice(2), cryptoValueFlags());

// `sealflow … | head`: a reader that stops early is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportError(err);
  },
);
