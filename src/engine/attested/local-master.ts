/**
 * The local master's keys and the owner's identity for `sealflow run` on a
 * fresh machine: the master in $SEALFLOW_HOME/master (created on first use
 * with 0600 plaintext key files and a loud warning, unless one exists —
 * then loaded with SEALFLOW_MASTER_PASSPHRASE), and the owner identity
 * $SEALFLOW_HOME/owner-identity.txt (created 0600 on first use) unless the
 * run names an owner recipient.
 */
import fs from 'node:fs';
import path from 'node:path';
import { defaultMasterDir, initMaster, loadMaster, type MasterKeys } from '../../crypto/master-key.js';
import { readIdentityFile, writeIdentityFile } from '../../crypto/keyfile.js';
import { X25519Identity, X25519Recipient } from '../../crypto/x25519.js';

export const FIRST_USE_WARNING =
  'sealflow: WARNING: created a local master with UNENCRYPTED key files (mode 0600) in %s; run "sealflow master init" with a passphrase for anything but development.\n';

export async function localMaster(warn: (m: string) => void): Promise<MasterKeys> {
  const dir = defaultMasterDir();
  if (!fs.existsSync(path.join(dir, 'master.json'))) {
    await initMaster(dir, { insecurePlaintext: true });
    warn(FIRST_USE_WARNING.replace('%s', dir));
  }
  return loadMaster(dir, process.env['SEALFLOW_MASTER_PASSPHRASE'], (m) => warn(`sealflow: warning: ${m}\n`));
}

/** The file of the local owner identity (created on first use). */
export function ownerIdentityFile(): string {
  return path.join(path.dirname(defaultMasterDir()), 'owner-identity.txt');
}

export async function ownerRecipient(given: string | undefined, warn: (m: string) => void): Promise<X25519Recipient> {
  if (given !== undefined) return X25519Recipient.parse(given);
  const file = ownerIdentityFile();
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeIdentityFile(file, X25519Identity.generate());
    warn(`sealflow: created the owner identity ${file} (0600); results are encrypted to it — decrypt with "sealflow decrypt -i ${file}"\n`);
  }
  const [id] = await readIdentityFile(file);
  if (!id) throw new Error(`${file} holds no identity`);
  return id.recipient();
}
