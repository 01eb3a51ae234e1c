/**
 * bench/encryption/cipher.ts: the chunk cipher alone, on one thread, no I/O —
 * node:crypto (what stream.ts uses: a fresh output buffer and tag per 64 KiB
 * chunk) against libsodium through `sodium-native` (ChaCha20-Poly1305 IETF
 * into a caller's buffer, reused). Same key, same chunks, same nonces; the
 * outputs are compared byte for byte before anything is timed. CPU time of
 * this thread (process.cpuUsage), rounds alternated, median reported.
 *
 *     node dist/bench/encryption/cipher.js [--mib 256] [--rounds 5]
 */
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { loadavg, median } from './measure.js';
import { openBatchParts, sealBatchParts, CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE } from '../../src/crypto/stream.js';
import { loadSodiumCipher } from './sodium-cipher.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

function cpuSeconds(f: () => void): number {
  const start = process.cpuUsage();
  f();
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

function main(): void {
  const mib = Number(arg('mib', '256'));
  const rounds = Number(arg('rounds', '5'));
  const sodium = loadSodiumCipher();
  if (!sodium) {
    // sodium-native was measured and did not come in (bench/RESULTS.md): install it by hand to measure it again.
    process.stderr.write('bench/encryption/cipher: sodium-native is not installed or did not load here (npm install --no-save sodium-native to measure it): nothing to compare\n');
    process.exit(2);
  }
  const key = crypto.randomBytes(32);
  const batch = 16; // chunks per batch, as the file path uses
  const plain = crypto.randomBytes(batch * CHUNK_SIZE);
  const batches = (mib * 1024 * 1024) / plain.length;
  const sealed = Buffer.alloc(batch * ENCRYPTED_CHUNK_SIZE);
  const opened = Buffer.alloc(plain.length);

  // Same bytes first.
  const viaNode = Buffer.concat(sealBatchParts(key, 0, false, plain));
  if (sodium.sealInto(key, 0, false, plain, sealed) !== viaNode.length || !sealed.equals(viaNode)) throw new Error('sodium and node:crypto disagree on sealing');
  const back = sodium.openInto(key, 0, false, sealed, opened);
  if (!back.ok || !opened.equals(plain)) throw new Error('sodium does not open what it sealed');

  const cases: Record<string, () => void> = {
    'seal node:crypto': () => { for (let b = 0; b < batches; b++) sealBatchParts(key, b * batch, false, plain); },
    'seal sodium-native': () => { for (let b = 0; b < batches; b++) sodium.sealInto(key, b * batch, false, plain, sealed); },
    'open node:crypto': () => { for (let b = 0; b < batches; b++) openBatchParts(key, 0, false, viaNode); },
    'open sodium-native': () => { for (let b = 0; b < batches; b++) sodium.openInto(key, 0, false, viaNode, opened); },
  };
  const times: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, f] of Object.entries(cases)) (times[name] ??= []).push(cpuSeconds(f));
  }
  const req = createRequire(import.meta.url);
  const version = (req('sodium-native/package.json') as { version: string }).version;
  console.log(`bench/encryption/cipher: ${mib} MiB in batches of ${batch} chunks, ${rounds} rounds alternated, one thread; node ${process.version}, sodium-native ${version}; load ${loadavg()}`);
  for (const [name, ts] of Object.entries(times)) {
    const m = median(ts);
    console.log(`  ${name.padEnd(20)} ${m.toFixed(3)} CPU-s  ${(mib / m).toFixed(0).padStart(5)} MiB/s  (min ${Math.min(...ts).toFixed(3)})`);
  }
}

main();
