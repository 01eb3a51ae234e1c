/**
 * The key that signs receipts: the local master's signing key
 * ($SEALFLOW_HOME/master). Loaded before a run starts, so a missing
 * passphrase fails the run at once rather than after the work is done. On a
 * fresh machine the master is created on first use with 0600 plaintext key
 * files and a loud warning (as attested runs do, DESIGN.md); it is built in
 * a temporary directory and renamed into place, so concurrent first runs
 * agree on one master.
 */
import type { KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { defaultMasterDir, initMaster, loadMaster } from '../../crypto/master-key.js';

export interface ReceiptSigner {
  readonly signingKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly pin: string;
}

export const FIRST_USE =
  'sealflow: WARNING: created a local master with UNENCRYPTED key files (mode 0600) in %s to sign run receipts; run "sealflow master init" with a passphrase for anything but development.\n';

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
    warn(FIRST_USE.replace('%s', dir));
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    return false; // another process got there first: use its master
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export async function loadReceiptSigner(opts: { passphrase: () => Promise<string | undefined>; warn: (m: string) => void; env?: NodeJS.ProcessEnv }): Promise<ReceiptSigner> {
  const dir = defaultMasterDir(opts.env);
  const file = path.join(dir, 'master.json');
  // Another process may be creating the master right now (a concurrent first run): wait for a whole master.json.
  for (let attempt = 0; attempt < 50 && !whole(file); attempt++) {
    if (!fs.existsSync(file) && (await createOnFirstUse(dir, opts.warn))) break;
    await sleep(100);
  }
  const m = await loadMaster(dir, await opts.passphrase(), (w) => opts.warn(`sealflow: warning: ${w}\n`));
  return { signingKey: m.signingKey, publicKey: m.signingPublicKey, pin: m.pin };
}
