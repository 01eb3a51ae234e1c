/** Reads a (possibly gzipped) FASTA file into memory: the reference genomes used here are small (lambda: 48 kb). */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';

export interface Contig {
  readonly name: string;
  /** Upper-case; anything but A, C, G, T is N. */
  readonly seq: string;
}

export async function readFasta(file: string): Promise<Contig[]> {
  let data = await readFile(file);
  if (data[0] === 0x1f && data[1] === 0x8b) data = gunzipSync(data);
  const contigs: Contig[] = [];
  let name: string | undefined;
  let parts: string[] = [];
  const flush = (): void => {
    if (name !== undefined) contigs.push({ name, seq: parts.join('').toUpperCase().replace(/[^ACGT]/g, 'N') });
  };
  for (const raw of data.toString('latin1').split('\n')) {
    const line = raw.trimEnd();
    if (line.startsWith('>')) {
      flush();
      name = line.slice(1).split(/\s/)[0] ?? '';
      parts = [];
    } else if (line !== '') {
      if (name === undefined) throw new Error(`${file}: not FASTA (sequence before the first '>' line)`);
      parts.push(line);
    }
  }
  flush();
  if (contigs.length === 0) throw new Error(`${file}: no sequences`);
  return contigs;
}
