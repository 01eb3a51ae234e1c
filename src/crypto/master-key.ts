/**
 * The master's long-lived keys (docs/protocol.md §2): the master signing key
 * (ECDSA P-256; its SPKI SHA-256 is the pin every provisioner and owner
 * trusts) and the broker identity (age X25519; inputs are encrypted to its
 * recipient). Both are stored in the master directory encrypted at rest as
 * age files to a passphrase (scrypt), or — only when asked — as 0600
 * plaintext files, which the caller must warn about loudly.
 *
 * Layout of the master directory:
 *   master.json            public: signing public key (PEM), pin, broker recipient, protection
 *   signing-key.age|.pem   PKCS#8 PEM of the signing key
 *   broker-identity.age|.txt  age identity file text
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InputError, OperationError } from '../errors.js';
import { decrypt, encrypt } from './index.js';
import { NoIdentityMatchError } from './errors.js';
import { identityFileText, parseIdentities } from './keyfile.js';
import { DEFAULT_WORK_FACTOR, ScryptIdentity, ScryptRecipient } from './scrypt.js';
import { X25519Identity } from './x25519.js';

export type Protection = 'scrypt' | 'plaintext';

export interface MasterPublic {
  readonly version: 1;
  /** SPKI PEM of the master signing public key. */
  readonly signingPublicKey: string;
  /** SHA-256 of the signing public key's SPKI DER, hex. */
  readonly pin: string;
  readonly brokerRecipient: string;
  readonly protection: Protection;
  readonly created: string;
}

export interface MasterKeys {
  readonly dir: string;
  readonly publicInfo: MasterPublic;
  readonly signingKey: KeyObject;
  readonly signingPublicKey: KeyObject;
  readonly pin: string;
  readonly brokerIdentity: X25519Identity;
}

export interface InitOptions {
  /** Required unless `insecurePlaintext`. */
  readonly passphrase?: string;
  readonly insecurePlaintext?: boolean;
  /** scrypt log2(N); default 18. */
  readonly workFactor?: number;
}

const FILES = {
  public: 'master.json',
  signing: { scrypt: 'signing-key.age', plaintext: 'signing-key.pem' },
  broker: { scrypt: 'broker-identity.age', plaintext: 'broker-identity.txt' },
} as const;

/** The pin of a public key: SHA-256 of its SPKI DER, hex. */
export function keyPin(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** The default master directory: $SEALFLOW_HOME/master, else ~/.sealflow/master. */
export function defaultMasterDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env['SEALFLOW_HOME'] ?? path.join(env['HOME'] ?? '.', '.sealflow');
  return path.join(home, 'master');
}

async function collect(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

async function writeNew(file: string, data: string | Uint8Array, mode: number): Promise<void> {
  let fh;
  try {
    fh = await open(file, 'wx', mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new InputError(`refusing to overwrite ${file}: a master already exists in ${path.dirname(file)}`);
    throw new OperationError(`cannot create ${file}: ${(err as Error).message}`);
  }
  try {
    await fh.chmod(mode);
    await fh.writeFile(data);
  } finally {
    await fh.close();
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Creates the master signing key and broker identity in `dir` (which must not hold a master yet). */
export async function initMaster(dir: string, opts: InitOptions): Promise<MasterPublic> {
  const protection: Protection = opts.insecurePlaintext === true ? 'plaintext' : 'scrypt';
  if (protection === 'scrypt' && (opts.passphrase === undefined || opts.passphrase === '')) {
    throw new InputError('a passphrase is needed to encrypt the master keys: set SEALFLOW_MASTER_PASSPHRASE or run in a terminal (or use --insecure-plaintext-keys)');
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (await exists(path.join(dir, FILES.public))) throw new InputError(`a master already exists in ${dir} (${FILES.public}); remove the directory first to create a new one`);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const broker = X25519Identity.generate();
  const signingPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const brokerText = identityFileText(broker);
  if (protection === 'scrypt') {
    const wf = opts.workFactor ?? DEFAULT_WORK_FACTOR;
    const seal = (s: string) => collect(encrypt([new ScryptRecipient(opts.passphrase as string, wf)], Buffer.from(s)));
    await writeNew(path.join(dir, FILES.signing.scrypt), await seal(signingPem), 0o600);
    await writeNew(path.join(dir, FILES.broker.scrypt), await seal(brokerText), 0o600);
  } else {
    await writeNew(path.join(dir, FILES.signing.plaintext), signingPem, 0o600);
    await writeNew(path.join(dir, FILES.broker.plaintext), brokerText, 0o600);
  }
  const info: MasterPublic = {
    version: 1,
    signingPublicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    pin: keyPin(publicKey),
    brokerRecipient: broker.recipient().toString(),
    protection,
    created: new Date().toISOString(),
  };
  await writeNew(path.join(dir, FILES.public), JSON.stringify(info, null, 2) + '\n', 0o644);
  return info;
}

/** Reads the public part of a master (no passphrase needed). */
export async function readMasterPublic(dir: string): Promise<MasterPublic> {
  let text: string;
  try {
    text = await readFile(path.join(dir, FILES.public), 'utf8');
  } catch {
    throw new InputError(`no master in ${dir}: run "sealflow master init" first`);
  }
  const info = JSON.parse(text) as MasterPublic;
  if (info.version !== 1 || typeof info.pin !== 'string' || typeof info.signingPublicKey !== 'string') throw new InputError(`${path.join(dir, FILES.public)} is not a sealflow master description`);
  if (keyPin(createPublicKey(info.signingPublicKey)) !== info.pin) throw new InputError(`${path.join(dir, FILES.public)}: the pin does not match the signing public key (file modified?)`);
  return info;
}

/**
 * Loads the master's secret keys. `passphrase` is required for scrypt
 * protection; `warn` receives the plaintext-keys warning.
 */
export async function loadMaster(dir: string, passphrase: string | undefined, warn: (m: string) => void = () => undefined): Promise<MasterKeys> {
  const info = await readMasterPublic(dir);
  const names = info.protection === 'plaintext' ? { s: FILES.signing.plaintext, b: FILES.broker.plaintext } : { s: FILES.signing.scrypt, b: FILES.broker.scrypt };
  const sFile = path.join(dir, names.s);
  const bFile = path.join(dir, names.b);
  let signingPem: string;
  let brokerText: string;
  if (info.protection === 'plaintext') {
    warn(`the master keys in ${dir} are stored UNENCRYPTED (plaintext, mode 0600): anyone who can read them can impersonate this master and decrypt every input`);
    for (const f of [sFile, bFile]) {
      const st = await stat(f);
      if ((st.mode & 0o077) !== 0) warn(`${f} is accessible by other users; run "chmod 600 ${f}"`);
    }
    signingPem = await readFile(sFile, 'utf8');
    brokerText = await readFile(bFile, 'utf8');
  } else {
    if (passphrase === undefined || passphrase === '') throw new InputError(`the master keys in ${dir} are encrypted: set SEALFLOW_MASTER_PASSPHRASE or run in a terminal`);
    const open1 = async (f: string) => {
      try {
        return (await collect(decrypt([new ScryptIdentity(passphrase)], await readFile(f)))).toString('utf8');
      } catch (err) {
        if (err instanceof NoIdentityMatchError || (err as Error).name === 'NoIdentityMatchError') throw new InputError(`wrong passphrase for ${f}`);
        throw new InputError(`cannot decrypt ${f}: wrong passphrase or damaged file (${(err as Error).message})`);
      }
    };
    signingPem = await open1(sFile);
    brokerText = await open1(bFile);
  }
  const signingKey = createPrivateKey(signingPem);
  const signingPublicKey = createPublicKey(signingKey);
  const pin = keyPin(signingPublicKey);
  if (pin !== info.pin) throw new InputError(`the signing key in ${sFile} does not match the pin in master.json`);
  const [brokerIdentity] = parseIdentities(brokerText, bFile);
  if (!brokerIdentity || brokerIdentity.recipient().toString() !== info.brokerRecipient) throw new InputError(`the broker identity in ${bFile} does not match master.json`);
  return { dir, publicInfo: info, signingKey, signingPublicKey, pin, brokerIdentity };
}

/** An in-memory master (tests, and runs that need no persistent master). Never written anywhere. */
export function ephemeralMaster(): Omit<MasterKeys, 'dir' | 'publicInfo'> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { signingKey: privateKey, signingPublicKey: publicKey, pin: keyPin(publicKey), brokerIdentity: X25519Identity.generate() };
}

/** ECDSA P-256 / SHA-256, IEEE P1363 (r‖s), as used by every master signature. */
export function masterSign(key: KeyObject, message: Uint8Array): Buffer {
  return sign('sha256', message, { key, dsaEncoding: 'ieee-p1363' });
}

export function masterVerify(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
}
