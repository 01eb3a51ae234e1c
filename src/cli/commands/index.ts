/** Every `sealflow` subcommand, in the order `--help` lists them. One line per command file. */
import type { Command } from 'commander';
import { register as attest } from './attest.js';

export type RegisterCommand = (program: Command) => void;

export const commands: readonly RegisterCommand[] = [attest];
