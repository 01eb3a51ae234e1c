/** `sealflow broker recipient`: the recipient data owners encrypt inputs to (docs/protocol.md §10). */
import type { Command } from 'commander';
import { defaultMasterDir, readMasterPublic } from '../../crypto/master-key.js';

export function register(program: Command): void {
  const broker = program.command('broker').description("the master's key broker");
  broker
    .command('recipient')
    .description('Print the broker recipient ("age1…"): encrypt inputs to it with "sealflow encrypt -r" or the age tool')
    .option('--dir <dir>', 'master directory (default: $SEALFLOW_HOME/master or ~/.sealflow/master)')
    .action(async (opts: { dir?: string }) => {
      process.stdout.write(`${(await readMasterPublic(opts.dir ?? defaultMasterDir())).brokerRecipient}\n`);
    });
  for (const c of broker.commands) c.exitOverride();
  broker.exitOverride();
}
