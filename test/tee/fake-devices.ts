/** Directories laid out like Gramine's /dev/attestation and Linux configfs-tsm, for the evidence providers. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TsmFs } from '../../src/worker/provisioner/evidence/configfs-tsm.js';

const made: string[] = [];
export const tmp = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'sealflow-evidence-'));
  made.push(d);
  return d;
};
/** Removes every directory made here. */
export function removeFakeDevices(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A fake /dev/attestation holding a recorded quote. */
export function fakeGramineDir(quote: Uint8Array, type = 'dcap'): string {
  const dir = tmp();
  writeFileSync(path.join(dir, 'attestation_type'), `${type}\n`);
  writeFileSync(path.join(dir, 'user_report_data'), Buffer.alloc(64));
  writeFileSync(path.join(dir, 'quote'), quote);
  return dir;
}

/**
 * A configfs-tsm stand-in on a real temporary directory: creating an entry
 * fills it as the kernel would (outblob, auxblob, provider, generation 0);
 * writing inblob bumps generation (and `extraWrites` more, as a concurrent writer would).
 */
export function fakeTsm(blobs: { outblob: Uint8Array; auxblob?: Uint8Array; provider: string }, extraWrites = 0): { root: string; fs: TsmFs } {
  const root = tmp();
  const fs: TsmFs = {
    async mkdir(p) {
      await fsp.mkdir(p);
      await fsp.writeFile(path.join(p, 'outblob'), blobs.outblob);
      if (blobs.auxblob) await fsp.writeFile(path.join(p, 'auxblob'), blobs.auxblob);
      await fsp.writeFile(path.join(p, 'provider'), `${blobs.provider}\n`);
      await fsp.writeFile(path.join(p, 'generation'), '0\n');
    },
    rmdir: (p) => fsp.rm(p, { recursive: true }),
    readFile: (p) => fsp.readFile(p),
    async writeFile(p, b) {
      await fsp.writeFile(p, b);
      if (path.basename(p) === 'inblob') {
        const g = Number(await fsp.readFile(path.join(path.dirname(p), 'generation'), 'latin1'));
        await fsp.writeFile(path.join(path.dirname(p), 'generation'), `${g + 1 + extraWrites}\n`);
      }
    },
  };
  return { root, fs };
}

