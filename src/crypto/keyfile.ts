/**
 * Key files in age's formats. An identity file holds one `AGE-SECRET-KEY-1…`
 * per line, with `#` comments and blank lines ignored; `sealflow keygen`
 * writes a created-time comment and the public key above the secret, as
 * `age-keygen` does. A recipients file holds one `age1…` per line, same rules.
 * Identity files are created with mode 0600, never overwritten, and reading
 * one that others can read produces a warning.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { X25519Identity, X25519Recipient } from './x25519.js';

/** The identity file text `age-keygen` would write for `identity`. */
export function identityFileText(identity: X25519Identity, created = new Date()): string {
  const time = created.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `# created: ${time}\n# public key: ${identity.recipient().toString()}\n${identity.toString()}\n`;
}

/**
 * Writes a new identity file with mode 0600. Refuses (InputError) if `path`
 * exists: a key file is never overwritten.
 */
export async function writeIdentityFile(path: string, identity: X25519Identity): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new InputError(`refusing to overwrite existing key file ${path}; choose another path or remove it first`);
    throw new InputError(`cannot create key file ${path}: ${(err as Error).message}`);
  }
  try {
    await fh.chmod(0o600); // whatever the umask
    await fh.writeFile(identityFileText(identity));
  } finally {
    await fh.close();
  }
}

/** Why a key file is too widely readable, or null if only its owner can read it. */
export async function permissionWarning(path: string): Promise<string | null> {
  const st = await stat(path);
  if (!st.isFile() || (st.mode & 0o077) === 0) return null;
  const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
  return `key file ${path} is accessible by other users (mode ${mode}); run "chmod 600 ${path}"`;
}

interface Line {
  readonly text: string;
  readonly number: number;
}

function contentLines(text: string): Line[] {
  return text
    .split('\n')
    .map((t, i) => ({ text: t.replace(/\r$/, '').trim(), number: i + 1 }))
    .filter((l) => l.text !== '' && !l.text.startsWith('#'));
}

async function readKeyFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

/** Parses identity file text; `name` is used in error messages. */
export function parseIdentities(text: string, name: string): X25519Identity[] {
  if (text.startsWith('age-encryption.org/') || text.trimStart().startsWith('-----BEGIN AGE ENCRYPTED FILE-----')) {
    throw new InputError(`${name} is an encrypted age file, not an identity file; decrypt it first (passphrase-protected identity files are not supported yet)`);
  }
  const ids: X25519Identity[] = [];
  for (const line of contentLines(text)) {
    const id = X25519Identity.tryParse(line.text);
    if (!id) throw new InputError(`${name}:${line.number}: not an age identity (expected "AGE-SECRET-KEY-1…")`);
    ids.push(id);
  }
  if (ids.length === 0) throw new InputError(`${name} contains no identity (expected a line "AGE-SECRET-KEY-1…")`);
  return ids;
}

/**
 * Reads an identity file. InputError naming it if unreadable or malformed;
 * `warn` receives a message if the file is readable by others.
 */
export async function readIdentityFile(path: string, warn: (message: string) => void = () => undefined): Promise<X25519Identity[]> {
  const text = await readKeyFile(path, 'identity file');
  const warning = await permissionWarning(path);
  if (warning) warn(warning);
  return parseIdentities(text, path);
}

/** Parses a recipient string (`age1…`); InputError naming it if malformed. */
export function parseRecipient(s: string): X25519Recipient {
  return X25519Recipient.parse(s.trim());
}

/** Reads a recipients file (one `age1…` per line). */
export async function readRecipientsFile(path: string): Promise<X25519Recipient[]> {
  const text = await readKeyFile(path, 'recipients file');
  const out: X25519Recipient[] = [];
  for (const line of contentLines(text)) {
    try {
      out.push(parseRecipient(line.text));
    } catch (err) {
      throw new InputError(`${path}:${line.number}: ${(err as Error).message}`);
    }
  }
  if (out.length === 0) throw new InputError(`recipients file ${path} contains no recipient`);
  return out;
}
