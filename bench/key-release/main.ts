/**
 * bench/key-release: what releasing a step's file keys costs, per-file wraps
 * (docs/protocol.md §7, one X25519 exchange per key — the release format
 * before §7.1) beside one release under one exchange (§7.1), in one process,
 * alternated. Master side: seal N keys to a worker's key; worker side: open
 * them. CPU time of this process (process.cpuUsage), best of --reps.
 *
 *   node dist/bench/key-release/main.js [--n 1,10,1000,10000] [--reps 3]
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { fileKeyOpener, fileKeySealer, LABEL_BUNDLE_KEY, unwrapKey, wrapKey, x25519Raw } from '../../src/protocol/wcpac-crypto.js';
import { helpIfAsked } from '../help.js';

helpIfAsked(`usage: node dist/bench/key-release/main.js [--n 1,10,1000,10000] [--reps 3]

Measures what releasing a step's file keys costs (docs/protocol.md §7, §7.1): N keys wrapped one X25519
exchange each beside N keys released under one exchange, master side (seal) and worker side (open),
alternated in one process; CPU time of this process, best of --reps.`);

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}
const NS = arg('--n', '1,10,1000,10000').split(',').map(Number);
const REPS = Number(arg('--reps', '3'));

function cpuMs(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

const worker = generateKeyPairSync('x25519');
const workerRaw = x25519Raw(worker.publicKey);
const STEP = 'gather[0]#1';
const rows: string[] = ['| N keys | per-file wraps: master ms | worker ms | one exchange (§7.1): master ms | worker ms |', '|---:|---:|---:|---:|---:|'];
for (const n of NS) {
  const keys = Array.from({ length: n }, (_, i) => ({ sha256: i.toString(16).padStart(64, '0'), fileKey: randomBytes(16) }));
  const best = [Infinity, Infinity, Infinity, Infinity];
  for (let r = 0; r < REPS; r++) {
    let wrapped: Buffer[] = [];
    // The per-file form, as releases were made before §7.1 (the bundle key's label: the file-key label is gone).
    best[0] = Math.min(best[0]!, cpuMs(() => (wrapped = keys.map((k) => wrapKey(workerRaw, LABEL_BUNDLE_KEY, k.fileKey)))));
    best[1] = Math.min(best[1]!, cpuMs(() => wrapped.forEach((w) => unwrapKey(worker.privateKey, LABEL_BUNDLE_KEY, w))));
    let share: Buffer = Buffer.alloc(0);
    let entries: Buffer[] = [];
    best[2] = Math.min(best[2]!, cpuMs(() => {
      const s = fileKeySealer(workerRaw);
      entries = keys.map((k) => s.seal(STEP, k.sha256, k.fileKey));
      share = s.share;
      s.dispose();
    }));
    best[3] = Math.min(best[3]!, cpuMs(() => {
      const o = fileKeyOpener(worker.privateKey, share, entries);
      entries.forEach((e, i) => o.open(STEP, keys[i]!.sha256, e));
      o.dispose();
    }));
  }
  rows.push(`| ${n} | ${best.map((b) => b.toFixed(1)).join(' | ')} |`);
}
console.log(`key release, best of ${REPS}; load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(rows.join('\n'));
