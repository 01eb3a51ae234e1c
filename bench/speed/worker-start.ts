/**
 * bench/speed/worker-start: what the executor bundle costs a worker's start
 * and a run's start, per build — its size, sealing it (master, per run), and
 * the provisioner's part after the key arrives: read the sealed file, check
 * its SHA-256, decrypt it, import it from memory (a fresh process each time,
 * as a worker is). With --before DIR the other build is measured in the same
 * rounds, alternated.
 *
 *     node dist/bench/speed/worker-start.js [--before DIR] [--rounds N]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadavg, median, medianOf, timed, type Timed } from './measure.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The worker's part, in a child run as a file (the bundle's top level reads process.argv[1], as in a provisioner): read, hash, open, import (start() is not called). */
const LOAD = `
import fs from 'node:fs'; import { createHash } from 'node:crypto';
const [proto, file, key, withImport] = process.argv.slice(2);
const { openBundle } = await import(proto);
const sealed = fs.readFileSync(file);
createHash('sha256').update(sealed).digest();
const code = openBundle(Buffer.from(key, 'base64'), sealed);
if (withImport === '1') await import('data:text/javascript;base64,' + code.toString('base64'));
`;

interface Build {
  readonly label: string;
  readonly root: string;
}

async function prepare(b: Build, dir: string): Promise<{ file: string; key: string; bytes: number; sealMs: number; proto: string }> {
  const m = (await import(pathToFileURL(path.join(b.root, 'dist', 'src', 'master', 'broker', 'executor-bundle.js')).href)) as {
    buildExecutorCode: () => Promise<string>;
    sealExecutorBundle: (code: string, file: string) => Promise<{ key: Buffer }>;
  };
  const code = await m.buildExecutorCode();
  const file = path.join(dir, `${b.label}.bundle`);
  const seals: number[] = [];
  let key: Buffer = Buffer.alloc(0);
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    key = (await m.sealExecutorBundle(code, file)).key;
    seals.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { file, key: key.toString('base64'), bytes: Buffer.byteLength(code), sealMs: median(seals), proto: pathToFileURL(path.join(b.root, 'dist', 'src', 'protocol', 'wcpac-crypto.js')).href };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { before: { type: 'string' }, rounds: { type: 'string' } } });
  const rounds = Number(values.rounds ?? '9');
  const builds: Build[] = [...(values.before !== undefined ? [{ label: 'before', root: path.resolve(values.before) }] : []), { label: 'this build', root: ROOT }];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-worker-start-'));
  // A throwaway home: the executor code cache goes there, not to ~/.sealflow.
  process.env['SEALFLOW_HOME'] = path.join(dir, 'home');
  try {
    const loader = path.join(dir, 'load.mjs');
    fs.writeFileSync(loader, LOAD);
    const prepared = [];
    for (const b of builds) prepared.push(await prepare(b, dir));
    const runs = builds.map(() => ({ load: [] as Timed[], open: [] as Timed[] }));
    for (let r = 0; r < rounds; r++) {
      for (const [i, p] of prepared.entries()) {
        runs[i]?.open.push(timed(process.execPath, [loader, p.proto, p.file, p.key, '0']));
        runs[i]?.load.push(timed(process.execPath, [loader, p.proto, p.file, p.key, '1']));
      }
    }
    const git = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
    console.log(`worker start: the executor bundle, medians of ${rounds} fresh processes per build; node ${process.version}; commit ${git}; load ${loadavg()}`);
    console.log('');
    console.log('| build | bundle (plaintext) | seal per run (master) | worker: read + hash + decrypt | worker: + import from memory | import alone (difference) |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const [i, b] of builds.entries()) {
      const p = prepared[i]!;
      const open = medianOf(runs[i]!.open);
      const load = medianOf(runs[i]!.load);
      console.log(`| ${b.label} | ${(p.bytes / 1e6).toFixed(2)} MB | ${p.sealMs.toFixed(1)} ms | ${open.cpu.toFixed(3)} CPU-s, ${open.wall.toFixed(3)} s | ${load.cpu.toFixed(3)} CPU-s, ${load.wall.toFixed(3)} s | ${(load.cpu - open.cpu).toFixed(3)} CPU-s, ${(load.wall - open.wall).toFixed(3)} s |`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
