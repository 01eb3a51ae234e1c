/** A run CA, worker identities on it, and an age ciphertext, for the §15 data-port tests. */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { encrypt, X25519Identity } from '../../src/crypto/index.js';
import { ephemeralMaster } from '../../src/crypto/master-key.js';
import { RunCa } from '../../src/crypto/run-ca.js';
import type { PeerIdentity } from '../../src/worker/attested/data-port.js';

export async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export interface Pki {
  readonly master: ReturnType<typeof ephemeralMaster>;
  readonly runId: string;
  readonly runCa: RunCa;
  /** A worker identity for `slot`, certified by this run's CA (or by `ca`). */
  worker(slot: string, ca?: RunCa): Promise<PeerIdentity>;
}

export async function runPki(master = ephemeralMaster()): Promise<Pki> {
  const runId = `run-${randomBytes(4).toString('hex')}`;
  const runCa = await RunCa.create(master, runId, 3_600_000);
  return {
    master,
    runId,
    runCa,
    async worker(slot, ca = runCa) {
      const id = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const certDer = await ca.issueClientCert(id.publicKey.export({ type: 'spki', format: 'der' }), slot);
      return { runId: ca.runId, runCaDer: ca.certDer, certDer, key: id.privateKey };
    },
  };
}

/** An age file encrypted to a fresh run identity: its path, bytes, SHA-256 and the identity. */
export async function ciphertext(text: string | Buffer, dir?: string): Promise<{ file: string; bytes: Buffer; sha256: string; identity: X25519Identity; dir: string }> {
  const d = dir ?? (await mkdtemp(path.join(os.tmpdir(), 'sealflow-dataport-')));
  const identity = X25519Identity.generate();
  const bytes = await collect(encrypt([identity.recipient()], typeof text === 'string' ? Buffer.from(text) : text));
  const file = path.join(d, `out-${randomBytes(3).toString('hex')}.txt`);
  await writeFile(file, bytes);
  return { file, bytes, sha256: sha256(bytes), identity, dir: d };
}
