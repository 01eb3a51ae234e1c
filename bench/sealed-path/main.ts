/**
 * The worker's per-MB cost of opening and sealing a step's files
 * (docs/protocol.md §10.5), same run, same file: the two-pass open (SHA-256
 * pass, then a decryption stream written to a file) against `openVerified`,
 * and the stream seal against `sealInPlace`; then the floors of one pass
 * over the same bytes, each alone: ChaCha20-Poly1305 in memory in age's
 * 64 KiB chunks, SHA-256 in memory, and a plain read + write of the file
 * into the scratch directory (where a worker's plaintext goes: give
 * `--scratch /dev/shm` to measure on tmpfs, as workers write there).
 * Prints CPU (this process and its crypto pool threads) and wall per
 * operation, best of --reps.
 *
 *   node dist/bench/sealed-path/main.js FILE [--reps 3] [--scratch DIR]
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decryptWithFileKey, encrypt, readHeaderOfFile, unwrapFileKey, X25519Identity } from '../../src/crypto/index.js';
import { openVerified, sealInPlace } from '../../src/worker/attested/sealed-io.js';
import { helpIfAsked } from '../help.js';

helpIfAsked(`usage: node dist/bench/sealed-path/main.js FILE [--reps 3] [--scratch DIR]

Measures the worker's per-MB cost of opening and sealing a step's files (docs/protocol.md §10.5) on
FILE, in one process: the two-pass open (a SHA-256 pass, then decryption) beside openVerified, the
stream seal beside sealInPlace, and the floors of one pass over the same bytes, each alone:
ChaCha20-Poly1305 in age's 64 KiB chunks, SHA-256, and a plain read + write into the scratch directory
(--scratch /dev/shm measures on tmpfs, where workers write). CPU (this process and its crypto pool
threads) and wall per operation, best of --reps.`);

const file = process.argv[2];
const repsAt = process.argv.indexOf('--reps');
const reps = repsAt > 0 ? Number(process.argv[repsAt + 1]) : 3;
const scratchAt = process.argv.indexOf('--scratch');
const scratch = scratchAt > 0 ? process.argv[scratchAt + 1] : os.tmpdir();
if (!file || !fs.existsSync(file) || !Number.isInteger(reps) || reps < 1 || scratch === undefined || !fs.existsSync(scratch)) {
  console.error('usage: node dist/bench/sealed-path/main.js FILE [--reps N] [--scratch DIR]  (FILE and DIR must exist; N a whole number ≥ 1)');
  process.exit(2);
}
const dir = fs.mkdtempSync(path.join(scratch, 'sealed-path-'));
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
  console.log(`${name.padEnd(52)} ${bc.toFixed(0).padStart(5)} ms CPU (${(bc / mb).toFixed(2)} ms/MB)  ${bw.toFixed(0).padStart(5)} ms wall`);
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

/** The floor of a seal or open pass's cipher: ChaCha20-Poly1305 over `bytes` in age's 64 KiB chunks (age v1 STREAM nonce layout). */
function chachaChunks(bytes: Buffer, key: Buffer): void {
  const nonce = Buffer.alloc(12);
  for (let off = 0, n = 0; off < bytes.length; off += 65536, n++) {
    nonce.writeUInt32BE(n, 7);
    const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    c.update(bytes.subarray(off, off + 65536));
    c.final();
    c.getAuthTag();
  }
}

/** The floor of a pass's file I/O: read `src` and write it to the new file `dest`, 1 MiB at a time. */
function readWrite(src: string, dest: string): void {
  const i = fs.openSync(src, 'r');
  const o = fs.openSync(dest, 'wx', 0o600);
  const b = Buffer.allocUnsafe(1 << 20);
  for (let n: number; (n = fs.readSync(i, b)) > 0; ) fs.writeSync(o, b, 0, n);
  fs.closeSync(i);
  fs.closeSync(o);
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
  const bytes = fs.readFileSync(file);
  const chachaKey = randomBytes(32);
  await best('floor: ChaCha20-Poly1305 in memory, 64 KiB chunks', () => {}, async () => chachaChunks(bytes, chachaKey));
  await best('floor: SHA-256 in memory', () => {}, async () => createHash('sha256').update(bytes).digest());
  await best('floor: read + write into the scratch directory', rm, async () => readWrite(file, out));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
