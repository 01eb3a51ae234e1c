/**
 * The worker's per-MB cost of opening and sealing a step's files
 * (docs/protocol.md §10.5), same run, same file: the two-pass open (SHA-256
 * pass, then a decryption stream written to a file) against `openVerified`,
 * and the stream seal against `sealInPlace`. Prints CPU (this process and
 * its crypto pool threads) and wall per operation, best of --reps.
 *
 *   node dist/bench/sealed-path/main.js FILE [--reps 3]
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decryptWithFileKey, encrypt, readHeaderOfFile, unwrapFileKey, X25519Identity } from '../../src/crypto/index.js';
import { openVerified, sealInPlace } from '../../src/worker/attested/sealed-io.js';

const file = process.argv[2];
const repsAt = process.argv.indexOf('--reps');
const reps = repsAt > 0 ? Number(process.argv[repsAt + 1]) : 3;
if (!file || !fs.existsSync(file)) {
  console.error('usage: node dist/bench/sealed-path/main.js FILE [--reps N]');
  process.exit(2);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealed-path-'));
const mb = fs.statSync(file).size / 1e6;
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};

async function best(name: string, prep: () => void, f: () => Promise<unknown>): Promise<void> {
  let bc = Infinity;
  let bw = Infinity;
  for (let i = 0; i < reps; i++) {
    prep();
    const c0 = cpu();
    const w0 = performance.now();
    await f();
    bc = Math.min(bc, cpu() - c0);
    bw = Math.min(bw, performance.now() - w0);
  }
  console.log(`${name.padEnd(44)} ${bc.toFixed(0).padStart(5)} ms CPU (${(bc / mb).toFixed(2)} ms/MB)  ${bw.toFixed(0).padStart(5)} ms wall`);
}

async function streamSeal(src: string, recipients: readonly ReturnType<X25519Identity['recipient']>[]): Promise<void> {
  const tmp = `${src}.sealing`;
  const h = createHash('sha256');
  const fh = await fs.promises.open(tmp, 'wx', 0o600);
  for await (const c of encrypt(recipients, fs.createReadStream(src, { highWaterMark: 1 << 20 }), { pipeline: {} })) {
    h.update(c as Uint8Array);
    await fh.write(c as Uint8Array);
  }
  await fh.close();
  fs.renameSync(tmp, src);
}

async function twoPassOpen(src: string, key: Uint8Array, dest: string, sha: string): Promise<void> {
  const h = createHash('sha256');
  for await (const c of fs.createReadStream(src, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  if (h.digest('hex') !== sha) throw new Error('hash mismatch');
  const fh = await fs.promises.open(dest, 'wx', 0o600);
  for await (const c of decryptWithFileKey(key, fs.createReadStream(src, { highWaterMark: 1 << 20 }), {})) await fh.write(c as Uint8Array);
  await fh.close();
}

const id = X25519Identity.generate();
const rec = [id.recipient()];
const plain = path.join(dir, 'p');
const copy = (): void => fs.copyFileSync(file, plain);
try {
  console.log(`${path.basename(file)}: ${mb.toFixed(1)} MB, best of ${reps}, load ${os.loadavg()[0]!.toFixed(2)}`);
  copy();
  await sealInPlace(plain, rec); // warm up (pool worker start, JIT)
  await best('seal: encrypt stream + SHA-256 (before)', copy, () => streamSeal(plain, rec));
  await best('seal: sealInPlace (after)', copy, () => sealInPlace(plain, rec));
  const sealed = path.join(dir, 'c.age');
  fs.copyFileSync(file, sealed);
  const { sha256 } = await sealInPlace(sealed, rec);
  const key = unwrapFileKey(await readHeaderOfFile(sealed), [id]);
  const out = path.join(dir, 'o');
  const rm = (): void => fs.rmSync(out, { force: true });
  await best('open: SHA-256 pass + decrypt stream (before)', rm, () => twoPassOpen(sealed, key, out, sha256));
  await best('open: openVerified (after)', rm, () => openVerified(sealed, key, out, sha256));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
