/**
 * `sealflow decrypt --untar DIR`: a directory output of an encrypted run is
 * the age file of its tar stream (docs/protocol.md §10.1). It is decrypted
 * and extracted (regular files and directories only; no absolute names, no
 * `..`, no links) into a temporary directory beside DIR, renamed to DIR only
 * once the whole file authenticated: no partial tree is left behind. A
 * refused member is an OperationError (exit 1) naming the file and member.
 */
import fs from 'node:fs';
import path from 'node:path';
import { decrypt } from '../crypto/index.js';
import type { Identity } from '../crypto/types.js';
import { InputError, OperationError } from '../errors.js';
import { TarError, unpackInto } from '../protocol/tar.js';

export async function untarTo(identities: readonly Identity[], input: string | undefined, dir: string): Promise<void> {
  const dest = path.resolve(dir);
  if (fs.existsSync(dest)) throw new InputError(`--untar ${dir}: it exists already; name a new directory`);
  const parent = path.dirname(dest);
  if (!fs.existsSync(parent)) throw new InputError(`--untar ${dir}: its parent directory ${parent} does not exist`);
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(dest)}.partial-`));
  try {
    const src = input === undefined || input === '-' ? process.stdin : fs.createReadStream(input);
    await unpackInto(decrypt(identities, src), path.join(tmp, 'd'));
    fs.renameSync(path.join(tmp, 'd'), dest);
  } catch (err) {
    // A refused archive member is a failure to decrypt this file (exit 1, docs/encryption.md), not a bug.
    const file = input === undefined || input === '-' ? 'standard input' : input;
    if (err instanceof TarError) {
      throw new OperationError(`--untar ${dir}: cannot extract ${file}: ${err.message}. Nothing was extracted; ${dir} was not created. Extract only archives written by a sealflow run, or decrypt to standard output and inspect it with tar t.`);
    }
    // A file that does not decrypt is about the input too: its own error, exit 1, nothing extracted.
    if (err instanceof InputError || err instanceof OperationError) throw err;
    throw new OperationError(`--untar ${dir}: cannot extract ${file}: ${err instanceof Error ? err.message : String(err)}. Nothing was extracted; ${dir} was not created.`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
