/** `sealflow encrypt`: age v1 encryption, like `age -e`. */
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { trace } from '../../crypto/trace.js';
import { encryptFileToFile } from '../../crypto/files.js';
import { parseRecipient, readRecipientsFile } from '../../crypto/keyfile.js';
import type { Recipient } from '../../crypto/types.js';
import { ENCRYPT_FLAGS, addFlags } from '../crypto-flags.js';
import { exitAfterPooledOutput, finishOutput, getPassphrase, openInput, openOutput, pipelineFor, prestartPool } from '../crypto-io.js';

interface Options {
  recipient: string[];
  recipientsFile: string[];
  passphrase?: boolean;
  armor?: boolean;
  output?: string;
}

async function recipientsFrom(opts: Options): Promise<Recipient[]> {
  const keys = opts.recipient.length + opts.recipientsFile.length;
  if (opts.passphrase) {
    if (keys > 0) throw new InputError('-p/--passphrase cannot be combined with -r or -R (an scrypt recipient must be alone)');
    const { ScryptRecipient } = await import('../../crypto/scrypt.js');
    return [new ScryptRecipient(await getPassphrase(true))];
  }
  if (keys === 0) throw new InputError('no recipients: give -r age1…, -R FILE, or -p for a passphrase');
  const out: Recipient[] = opts.recipient.map(parseRecipient);
  for (const f of opts.recipientsFile) out.push(...(await readRecipientsFile(f)));
  return out;
}

export function register(program: Command): void {
  const cmd = program
    .command('encrypt')
    .summary('encrypt a file to age recipients (readable with the age tool)')
    .description(
      'Encrypt a file (or standard input) to age recipients, in the age v1 format: the output decrypts\n' +
        'with "sealflow decrypt" or the standard "age -d".',
    )
    .argument('[input]', 'file to encrypt (default: standard input)');
  addFlags(cmd, ENCRYPT_FLAGS);
  cmd.action(async (input: string | undefined, opts: Options) => {
    trace('action');
    prestartPool(input);
    const recipients = await recipientsFrom(opts);
    const src = await openInput(input);
    const out = await openOutput(opts.output, { binary: !opts.armor, mode: 0o644 });
    trace('keys read, files open');
    await finishOutput(out, src, async () => {
      // File to file (or /dev/null): the positional fast path; otherwise streams (loaded only then).
      if (src.fd !== null && src.size !== null && out.fd !== null && !opts.armor) {
        return encryptFileToFile(recipients, src.fd, src.size, out.fd);
      }
      const { encryptTo } = await import('../../crypto/index.js');
      return encryptTo(recipients, src.source, out.sink, { armor: opts.armor === true, pipeline: pipelineFor(src.size) });
    });
    trace('done');
    exitAfterPooledOutput(out, src.size);
  });
}


