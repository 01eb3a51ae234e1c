/** A private temporary directory for a fuzz target's files, made on first use and removed when its process exits. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function scratchDir(prefix: string): () => string {
  let dir: string | undefined;
  return () => {
    if (dir === undefined) {
      const made = fs.mkdtempSync(path.join(os.tmpdir(), `sealflow-fuzz-${prefix}-`));
      dir = made;
      process.once('exit', () => fs.rmSync(made, { recursive: true, force: true }));
    }
    return dir;
  };
}
