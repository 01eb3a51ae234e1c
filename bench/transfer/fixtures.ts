/** What both transfer benchmarks start from: a ciphertext to move and the peers' identity files. */
import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { encrypt, X25519Identity } from '../../src/crypto/index.js';

/** Writes a `mib`-MiB age ciphertext of zeros (the transfer does not care what it holds) to `file`; its SHA-256. */
export async function zerosCiphertext(file: string, mib: number): Promise<string> {
  async function* zeros() {
    const chunk = new Uint8Array(1 << 20);
    for (let i = 0; i < mib; i++) yield chunk;
  }
  const h = createHash('sha256');
  const out = fs.createWriteStream(file, { mode: 0o600 });
  for await (const c of encrypt([X25519Identity.generate().recipient()], zeros())) {
    h.update(c as Uint8Array);
    if (!out.write(c)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  return h.digest('hex');
}

/** Writes a peer's identity (the run CA, its certificate and key) as the JSON file bench/transfer/{peer,producer}.ts read, 0600. */
export function writeIdentityFile(file: string, id: { runId: string; runCaDer: Uint8Array; certDer: Uint8Array; key: KeyObject }): void {
  const json = { runId: id.runId, runCaDer: Buffer.from(id.runCaDer).toString('base64'), certDer: Buffer.from(id.certDer).toString('base64'), keyPem: id.key.export({ type: 'pkcs8', format: 'pem' }) };
  fs.writeFileSync(file, JSON.stringify(json), { mode: 0o600 });
}
