/** `sealflow master init|key`: the master signing key and broker identity (docs/protocol.md §2). */
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { defaultMasterDir, initMaster, readMasterPublic } from '../../crypto/master-key.js';
import { masterPassphrase, PASSPHRASE_ENV } from '../passphrase.js';

const PLAINTEXT_WARNING =
  'WARNING: the master signing key and the broker identity are stored UNENCRYPTED (mode 0600).\n' +
  'Anyone who can read them can impersonate this master to every worker and decrypt every input encrypted to the broker.\n' +
  'Use this only on a single-user development machine; run "sealflow master init" with a passphrase otherwise.\n';

export function register(program: Command): void {
  const master = program.command('master').description("manage this machine's sealflow master: its signing key (the pin workers and owners trust) and broker identity");
  master
    .command('init')
    .description(
      'Create the master signing key (ECDSA P-256) and the broker identity (age X25519), encrypted at rest with a\n' +
        `passphrase (age scrypt) from ${PASSPHRASE_ENV} or a terminal prompt. Prints the pin and the broker recipient.`,
    )
    .option('--dir <dir>', 'master directory (default: $SEALFLOW_HOME/master or ~/.sealflow/master)')
    .option('--insecure-plaintext-keys', 'store the keys unencrypted as 0600 files (development only; prints a warning)')
    .option('--work-factor <n>', 'scrypt work factor log2(N) for the passphrase encryption', '18')
    .action(async (opts: { dir?: string; insecurePlaintextKeys?: boolean; workFactor: string }) => {
      const dir = opts.dir ?? defaultMasterDir();
      const wf = Number(opts.workFactor);
      if (!Number.isInteger(wf) || wf < 10 || wf > 22) throw new InputError(`--work-factor ${opts.workFactor}: expected an integer from 10 to 22`);
      const plaintext = opts.insecurePlaintextKeys === true;
      const passphrase = plaintext ? undefined : await masterPassphrase('Passphrase for the master keys: ', true);
      if (!plaintext && passphrase === undefined) {
        throw new InputError(`no passphrase: set ${PASSPHRASE_ENV}, run in a terminal, or use --insecure-plaintext-keys (development only)`);
      }
      const info = await initMaster(dir, { ...(passphrase !== undefined ? { passphrase } : {}), insecurePlaintext: plaintext, workFactor: wf });
      if (plaintext) process.stderr.write(PLAINTEXT_WARNING);
      process.stdout.write(`master: ${dir}\npin (SHA-256 of the master signing key): ${info.pin}\nbroker recipient: ${info.brokerRecipient}\n`);
    });
  master
    .command('key')
    .description('Print the master signing public key (PEM) and its pin (SHA-256 of the SPKI), for data owners and worker policies')
    .option('--dir <dir>', 'master directory (default: $SEALFLOW_HOME/master or ~/.sealflow/master)')
    .option('--pin', 'print only the pin')
    .option('--broker', 'print only the broker recipient (encrypt inputs to it)')
    .action(async (opts: { dir?: string; pin?: boolean; broker?: boolean }) => {
      const info = await readMasterPublic(opts.dir ?? defaultMasterDir());
      if (opts.pin === true) process.stdout.write(`${info.pin}\n`);
      else if (opts.broker === true) process.stdout.write(`${info.brokerRecipient}\n`);
      else process.stdout.write(`${info.signingPublicKey}pin: ${info.pin}\nbroker recipient: ${info.brokerRecipient}\nkeys at rest: ${info.protection === 'scrypt' ? 'encrypted (age scrypt)' : 'UNENCRYPTED (0600 files)'}\n`);
    });
  for (const c of master.commands) c.exitOverride();
  master.exitOverride();
}
