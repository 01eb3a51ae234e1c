/** Every `sealflow` subcommand, in the order `--help` lists them. One line per command file. */
import type { Command } from 'commander';
import { register as run } from './run.js';
import { register as runs } from './runs.js';
import { register as show } from './show.js';
import { register as keygen } from './keygen.js';
import { register as key } from './key.js';
import { register as encrypt } from './encrypt.js';
import { register as decrypt } from './decrypt.js';
import { register as attest } from './attest.js';
import { register as master } from './master.js';
import { register as policy } from './policy.js';
import { register as broker } from './broker.js';
import { register as receipt } from './receipt.js';
import { register as bench } from './bench.js';

export type RegisterCommand = (program: Command) => void;

export const commands: readonly RegisterCommand[] = [run, runs, show, keygen, key, encrypt, decrypt, attest, master, policy, broker, receipt, bench];
