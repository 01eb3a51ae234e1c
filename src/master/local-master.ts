/**
 * The local master's keys and the owner's identity for `sealflow run` on a
 * fresh machine: the master in $SEALFLOW_HOME/master (created on first use
 * with 0600 plaintext key files and a loud warning, unless one exists —
 * then loaded with SEALFLOW_MASTER_PASSPHRASE), and the owner identity
 * $SEALFLOW_HOME/owner-identity.txt (created 0600 on first use) unless the
 * run names an owner recipient.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { defaultMasterDir, initMaster, loadMaster, type MasterKeys } from '../crypto/master-key.js';
import { readIdentityFile, writeIdentityFile } from '../crypto/keyfile.js';
import { X25519Identity, X25519Recipient } from '../crypto/x25519.js';

export const FIRST_USE_WARNING =
  'sealflow: WARNING: created a local master with UNENCRYPTED key files (mode 0600) in %s; run "sealflow master init" with a passphrase for anything but development.\n';

function whole(file: string): boolean {
  try {
    JSON.parse(fs.readFileSync(file, 'utf8'));
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Creates a plaintext-key master at `dir` unless one appears there first; false if another process is writing one. */
async function createOnFirstUse(dir: string, warn: (m: string) => void): Promise<boolean> {
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
  const tmp = fs.mkdtempSync(path.join(path.dirname(dir), '.master-'));
  try {
    await initMaster(tmp, { insecurePlaintext: true });
    fs.renameSync(tmp, dir); // atomic; replaces only a missing or empty directory
    warn(FIRST_USE_WARNING.replace('%s', dir));
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    return false; // another process got there first: use its master
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** One load per master directory per process: the keys are decrypted (and any warning printed) once. */
const loaded = new Map<string, Promise<MasterKeys>>();

/**
 * The local master ($SEALFLOW_HOME/master), created on first use with 0600
 * plaintext key files and a loud warning. It is built in a temporary
 * directory and renamed into place, so concurrent first runs agree on one
 * master. An existing encrypted master is opened with `passphrase`.
 */
export function ensureLocalMaster(opts: { passphrase: () => Promise<string | undefined>; warn: (m: string) => void; env?: NodeJS.ProcessEnv }): Promise<MasterKeys> {
  const dir = defaultMasterDir(opts.env);
  let p = loaded.get(dir);
  if (!p) {
    p = (async () => {
      const file = path.join(dir, 'master.json');
      // Another process may be creating the master right now (a concurrent first run): wait for a whole master.json.
      for (let attempt = 0; attempt < 50 && !whole(file); attempt++) {
        if (!fs.existsSync(file) && (await createOnFirstUse(dir, opts.warn))) break;
        await sleep(100);
      }
      return loadMaster(dir, await opts.passphrase(), (w) => opts.warn(`sealflow: warning: ${w}\n`));
    })();
    loaded.set(dir, p);
    p.catch(() => loaded.delete(dir));
  }
  return p;
}

export function localMaster(warn: (m: string) => void): Promise<MasterKeys> {
  return ensureLocalMaster({ passphrase: async () => process.env['SEALFLOW_MASTER_PASSPHRASE'], warn });
}

/** The file of the local owner identity (created on first use). */
export function ownerIdentityFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.dirname(defaultMasterDir(env)), 'owner-identity.txt');
}

export async function ownerRecipient(given: string | undefined, warn: (m: string) => void): Promise<X25519Recipient> {
  if (given !== undefined) return X25519Recipient.parse(given);
  const file = ownerIdentityFile();
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // Written whole under a private name, then linked into place: link() fails if the name exists, so
    // concurrent first runs agree on one identity and none reads a half-written file.
    const tmp = path.join(path.dirname(file), `.owner-identity-${process.pid}-${randomBytes(6).toString('hex')}.txt`);
    try {
      await writeIdentityFile(tmp, X25519Identity.generate());
      fs.linkSync(tmp, file);
      warn(`sealflow: created the owner identity ${file} (0600); results are encrypted to it — decrypt with "sealflow decrypt -i ${file}"\n`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // another run created it first: use that one
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  const [id] = await readIdentityFile(file);
  if (!id) throw new Error(`${file} holds no identity`);
  return id.recipient();
}
