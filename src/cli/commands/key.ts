/** `sealflow key show FILE`: the recipient(s) of an identity file. */
import type { Command } from 'commander';
import { readIdentityFile } from '../../crypto/keyfile.js';

export function register(program: Command): void {
  const key = program.command('key').description('inspect age identity (key) files');
  key
    .command('show')
    .description('Print the recipient ("age1…") of each identity in an identity file, one per line')
    .argument('<file>', 'identity file, as written by "sealflow keygen" or "age-keygen"')
    .action(async (file: string) => {
      const ids = await readIdentityFile(file, (w) => process.stderr.write(`sealflow: warning: ${w}\n`));
      process.stdout.write(ids.map((id) => `${id.recipient().toString()}\n`).join(''));
    });
  key.exitOverride();
}
