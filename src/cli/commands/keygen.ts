/** `sealflow keygen [-o FILE]`: a new age X25519 identity, as `age-keygen` writes it. */
import type { Command } from 'commander';
import { X25519Identity } from '../../crypto/x25519.js';
import { identityFileText, writeIdentityFile } from '../../crypto/keyfile.js';

export function register(program: Command): void {
  program
    .command('keygen')
    .summary('generate an age identity (0600 key file) and print its recipient')
    .description(
      'Generate an age X25519 identity (secret key) and print its recipient (public key, "age1…").\n' +
        'With -o, the identity goes to FILE (mode 0600, never overwritten) and the recipient to standard output;\n' +
        'without, the identity file text goes to standard output and the recipient to standard error.',
    )
    .option('-o, --output <file>', 'write the identity to FILE (refuses to overwrite an existing file)')
    .action(async (opts: { output?: string }) => {
      const identity = X25519Identity.generate();
      const recipient = identity.recipient().toString();
      if (opts.output !== undefined) {
        await writeIdentityFile(opts.output, identity);
        process.stdout.write(`${recipient}\n`);
      } else {
        process.stdout.write(identityFileText(identity));
        process.stderr.write(`Public key: ${recipient}\n`);
      }
    });
}
