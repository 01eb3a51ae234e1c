/**
 * docs/protocol.md §10.3: what the pin check costs per command attempt —
 * hashing a tool, and hashing it while copying it into the attempt's private
 * directory (the copy is what runs) — next to `sha256sum` on the same file.
 *
 *   node dist/bench/tools/main.js [file...]   (default: bowtie2-align-s, samtools, a 64 MiB synthetic binary)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashFile } from '../../src/worker/executor/tools.js';
import { helpIfAsked } from '../help.js';

helpIfAsked(`usage: node dist/bench/tools/main.js [file...]

Measures what the tool pin check costs per command attempt (docs/protocol.md §10.3): hashing a tool,
and hashing it while copying it into the attempt's private directory, beside sha256sum on the same
file (default files: bowtie2-align-s, samtools, a 64 MiB synthetic binary).`);

const N = 15;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-bench-tools-'));
  try {
    const synthetic = path.join(dir, 'synthetic-64MiB');
    fs.writeFileSync(synthetic, Buffer.alloc(64 * 1024 * 1024, 1));
    const files = process.argv.length > 2 ? process.argv.slice(2) : ['/usr/bin/bowtie2-align-s', '/usr/bin/samtools', synthetic].filter((f) => fs.existsSync(f));
    console.log(`load: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; median of ${N}, page cache warm`);
    console.log('file                              size      hash     hash+copy  sha256sum(peer)');
    for (const f of files) {
      const hashOnly: number[] = [];
      const withCopy: number[] = [];
      const peer: number[] = [];
      for (let i = 0; i < N; i++) {
        let t = performance.now();
        await hashFile(f);
        hashOnly.push(performance.now() - t);
        const copy = path.join(dir, `copy${i}`);
        t = performance.now();
        await hashFile(f, copy);
        withCopy.push(performance.now() - t);
        fs.rmSync(copy);
        t = performance.now();
        spawnSync('sha256sum', [f]);
        peer.push(performance.now() - t);
      }
      const size = `${(fs.statSync(f).size / 1024 / 1024).toFixed(1)} MiB`;
      console.log(`${path.basename(f).padEnd(32)} ${size.padStart(9)} ${median(hashOnly).toFixed(1).padStart(7)} ms ${median(withCopy).toFixed(1).padStart(7)} ms ${median(peer).toFixed(1).padStart(8)} ms`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
