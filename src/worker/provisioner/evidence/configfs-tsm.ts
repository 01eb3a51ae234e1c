/**
 * Guest evidence through Linux configfs-tsm (SEV-SNP `sev_guest` and TDX
 * `tdx_guest` providers; Documentation/ABI/testing/configfs-tsm): create
 * <root>/<name>, read `generation`, write the 64-byte report data to
 * `inblob`, read `outblob`, `auxblob` (SNP: the GHCB certificate table) and
 * `provider`, read `generation` again — a value other than one more than
 * before means another writer used the entry, and the blobs are refused —
 * and remove the entry. The evidence goes to the master as it is, as the
 * JSON form the attestation module reads. Node built-ins only.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import path from 'node:path';

export { TSM_ROOT } from '../../../protocol/launch-config.js';
import { TSM_ROOT } from '../../../protocol/launch-config.js';

/** The file operations used (the kernel's configfs, or a test's stand-in). */
export interface TsmFs {
  mkdir(p: string): Promise<unknown>;
  rmdir(p: string): Promise<unknown>;
  readFile(p: string): Promise<Buffer>;
  writeFile(p: string, b: Buffer): Promise<unknown>;
}

const nodeFs: TsmFs = { mkdir: (p) => fsp.mkdir(p), rmdir: (p) => fsp.rmdir(p), readFile: (p) => fsp.readFile(p), writeFile: (p, b) => fsp.writeFile(p, b) };

export async function tsmEvidence(rd: Buffer, root = TSM_ROOT, fs: TsmFs = nodeFs): Promise<Buffer> {
  if (rd.length !== 64) throw new Error('configfs-tsm report data must be 64 bytes');
  const dir = path.join(root, `sealflow-${randomBytes(8).toString('hex')}`);
  await fs.mkdir(dir);
  try {
    const gen = async () => Number((await fs.readFile(path.join(dir, 'generation'))).toString('latin1').trim());
    const before = await gen();
    await fs.writeFile(path.join(dir, 'inblob'), rd);
    const outblob = await fs.readFile(path.join(dir, 'outblob'));
    const auxblob = await fs.readFile(path.join(dir, 'auxblob')).catch(() => Buffer.alloc(0));
    const provider = (await fs.readFile(path.join(dir, 'provider'))).toString('latin1').trim();
    const after = await gen();
    if (!Number.isInteger(before) || after !== before + 1) throw new Error(`configfs-tsm entry ${dir}: generation went from ${before} to ${after}, so another writer used it; the report is not ours`);
    if (provider === 'tdx_guest') return outblob; // a TDX quote: the TDX verifier reads it as it is
    const doc: Record<string, string> = { outblob: outblob.toString('base64'), provider };
    if (auxblob.length > 0) doc['auxblob'] = auxblob.toString('base64');
    return Buffer.from(JSON.stringify(doc));
  } finally {
    await fs.rmdir(dir).catch(() => undefined);
  }
}
