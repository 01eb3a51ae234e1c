/**
 * Every `sealflow` subcommand, in the order `--help` lists them. One line per
 * command file: its name and a loader. Modules are imported on demand, so a
 * command only pays for its own dependencies at start-up (`sealflow encrypt`
 * does not load the attestation, engine and X.509 modules); `--help` and
 * unknown commands load them all.
 */
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export interface CommandEntry {
  /** The subcommand's name, as its module registers it. */
  readonly name: string;
  readonly load: () => Promise<{ readonly register: RegisterCommand }>;
}

export const commands: readonly CommandEntry[] = [
  { name: 'run', load: () => import('./run.js') },
  { name: 'check', load: () => import('./check.js') },
  { name: 'runs', load: () => import('./runs.js') },
  { name: 'show', load: () => import('./show.js') },
  { name: 'report', load: () => import('./report.js') },
  { name: 'serve', load: () => import('./serve.js') },
  { name: 'keygen', load: () => import('./keygen.js') },
  { name: 'key', load: () => import('./key.js') },
  { name: 'encrypt', load: () => import('./encrypt.js') },
  { name: 'manifest', load: () => import('./manifest.js') },
  { name: 'decrypt', load: () => import('./decrypt.js') },
  { name: 'attest', load: () => import('./attest.js') },
  { name: 'master', load: () => import('./master.js') },
  { name: 'policy', load: () => import('./policy.js') },
  { name: 'broker', load: () => import('./broker.js') },
  { name: 'receipt', load: () => import('./receipt.js') },
  { name: 'bench', load: () => import('./bench.js') },
  { name: 'tools', load: () => import('./tools.js') },
  { name: 'tee', load: () => import('./tee.js') },
];
