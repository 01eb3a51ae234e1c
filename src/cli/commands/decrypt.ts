/** `sealflow decrypt`: age v1 decryption, like `age -d`; no unauthenticated plaintext is left behind. */
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { trace } from '../../crypto/trace.js';
import { decryptFileToFile, isBinaryAgeFile } from '../../crypto/files.js';
import { readIdentityFile } from '../../crypto/keyfile.js';
import type { Identity } from '../../crypto/types.js';
import { DECRYPT_FLAGS, addFlags } from '../crypto-flags.js';
import { derivedOutput } from '../decrypt-output.js';
import { exitAfterPooledOutput, finishOutput, getPassphrase, openInput, openOutput, pipelineFor, prestartPool } from '../crypto-io.js';

interface Options {
  identity: string[];
  passphrase?: boolean;
  output?: string;
  receipt?: string;
  masterKey?: string;
  untar?: string;
}

async function identitiesFrom(opts: Options): Promise<Identity[]> {
  const ids: Identity[] = [];
  for (const f of opts.identity) {
    ids.push(...(await readIdentityFile(f, (w) => process.stderr.write(`sealflow: warning: ${w}\n`))));
  }
  if (opts.passphrase) {
    const { ScryptIdentity } = await import('../../crypto/scrypt.js');
    ids.push(new ScryptIdentity(await getPassphrase(false)));
  }
  if (ids.length === 0) throw new InputError('no identity: give -i FILE (an identity file) or -p for a passphrase');
  return ids;
}

export function register(program: Command): void {
  const cmd = program
    .command('decrypt')
    .summary('decrypt an age file; no unauthenticated plaintext is left behind')
    .description(
      'Decrypt an age file (binary or armored, detected) from FILE or standard input.\n' +
        'With -o, the plaintext appears only once the whole file authenticated; to standard output,\n' +
        'each chunk is written only after it authenticated and a later failure exits 1.\n' +
        'Without -o, at a terminal, FILE.age is decrypted to FILE beside it (never replacing a file);\n' +
        'redirected or piped, or for a name without .age, the plaintext goes to standard output (-o - forces it).',
    )
    .argument('[input]', 'age file to decrypt (default: standard input)');
  addFlags(cmd, DECRYPT_FLAGS);
  cmd.action(async (input: string | undefined, opts: Options) => {
    trace('action');
    prestartPool(input);
    if (opts.receipt !== undefined) {
      // Loaded only with --receipt: it brings the X.509 and signature modules.
      const { checkCiphertextAgainstReceipt } = await import('../../master/receipt/check.js');
      await checkCiphertextAgainstReceipt(input, opts.receipt, opts.masterKey);
    }
    const identities = await identitiesFrom(opts);
    if (opts.untar !== undefined) {
      if (opts.output !== undefined) throw new InputError('--untar and -o/--output exclude each other: --untar names the directory to create');
      const { untarTo } = await import('../untar.js');
      await untarTo(identities, input, opts.untar);
      return;
    }
    const output = opts.output ?? derivedOutput(input, (await import('node:tty')).isatty(1));
    const src = await openInput(input);
    const out = await openOutput(output, { binary: false, mode: 0o600 });
    trace('keys read, files open');
    await finishOutput(out, src, async () => {
      // A binary age file to a temporary file (or /dev/null): the positional fast path; else streams.
      if (src.fd !== null && src.size !== null && out.fd !== null && isBinaryAgeFile(src.fd)) {
        return decryptFileToFile(identities, src.fd, src.size, out.fd);
      }
      const { decryptTo } = await import('../../crypto/index.js');
      return decryptTo(identities, src.source, out.sink, { pipeline: pipelineFor(src.size) });
    });
    trace('done');
    if (opts.output === undefined && output !== undefined) process.stderr.write(`sealflow: wrote ${output}\n`);
    exitAfterPooledOutput(out, src.size);
  });
}
