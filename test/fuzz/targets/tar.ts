/**
 * Fuzz target for the tar extraction of `decrypt --untar` and of a worker's
 * directory inputs (unpackInto, protocol §10.1). Each input is extracted
 * into a fresh directory that is removed afterwards; refusals are TarErrors.
 * Seeds: the tar stream of a small tree, and archives an attacker would
 * write (a traversal, a link, a device).
 */
import fs from 'node:fs';
import path from 'node:path';
import tar from 'tar-stream';
import { packDirectory, TarError, unpackInto } from '../../../src/protocol/tar.js';
import { scratchDir } from '../scratch.js';
import type { FuzzTarget } from '../target.js';

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return new Uint8Array(Buffer.concat(parts));
}

const work = scratchDir('tar');

async function seeds(): Promise<Uint8Array[]> {
  const tree = fs.mkdtempSync(path.join(work(), 'tree-'));
  fs.mkdirSync(path.join(tree, 'sub', 'deeper'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'a.txt'), 'alpha\n');
  fs.writeFileSync(path.join(tree, 'sub', 'deeper', 'b.bin'), Buffer.alloc(700, 7));
  fs.writeFileSync(path.join(tree, `${'long-name-'.repeat(12)}.txt`), 'pax');
  const out = [await collect(packDirectory(tree))];
  const p = tar.pack();
  p.entry({ name: '../up.txt' }, 'x');
  p.entry({ name: 'l', type: 'symlink', linkname: '/etc' });
  p.entry({ name: 'd', type: 'character-device' });
  p.finalize();
  out.push(await collect(p as unknown as AsyncIterable<Uint8Array>));
  return out;
}

export const targets: FuzzTarget[] = [
  {
    name: 'tar-untar',
    seeds,
    run: async (b) => {
      const dest = path.join(work(), 'x');
      try {
        await unpackInto((async function* () {
          yield b;
        })(), dest);
      } finally {
        fs.rmSync(dest, { recursive: true, force: true });
      }
    },
    isOwnError: (e) => e instanceof TarError,
  },
];
