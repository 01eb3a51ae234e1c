/**
 * bench/transfer: worker → worker encrypted transfer (docs/protocol.md §15)
 * next to `scp` over loopback, in the same run.
 *
 *   node dist/bench/transfer/main.js [--mib 1024] [--reps 3]
 *
 * sealflow: a 1 GiB age ciphertext served by one worker's data port (its own
 * process, a real run-CA certificate) and pulled by another (this process)
 * over mutual TLS 1.3, written to a file and SHA-256-checked as it streams in
 * — exactly what a consumer does before it decrypts. scp: the same file from
 * a throwaway sshd (127.0.0.1, a high port, a temporary host key and
 * authorized key; stopped by its PID), with and without a `sha256sum` of the
 * copy afterwards. A third row is the ceiling: the same TLS stream with
 * every byte discarded. All read the file from the page cache. Needs
 * /usr/sbin/sshd (apt-get install -y openssh-server) for the scp rows.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encrypt, X25519Identity } from '../../src/crypto/index.js';
import { ephemeralMaster } from '../../src/crypto/master-key.js';
import { RunCa } from '../../src/crypto/run-ca.js';
import tls from 'node:tls';
import { peerTlsOptions, type PeerIdentity } from '../../src/worker/attested/data-port.js';
import { fetchCiphertext } from '../../src/worker/attested/fetch.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}
const MIB = Number(arg('--mib', '1024'));
const REPS = Number(arg('--reps', '3'));
const PRODUCER = fileURLToPath(new URL('./producer.js', import.meta.url));
const SSHD = '/usr/sbin/sshd';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-bench-transfer-'));
const cleanups: (() => void)[] = [() => fs.rmSync(dir, { recursive: true, force: true })];
const cleanup = () => {
  for (const c of cleanups.reverse()) c();
};
process.on('exit', cleanup);

/** A MIB-MiB age ciphertext (of zeros: the transfer does not care) and its SHA-256. */
async function makeCiphertext(file: string): Promise<string> {
  async function* zeros() {
    const chunk = new Uint8Array(1 << 20);
    for (let i = 0; i < MIB; i++) yield chunk;
  }
  const h = createHash('sha256');
  const out = fs.createWriteStream(file, { mode: 0o600 });
  for await (const c of encrypt([X25519Identity.generate().recipient()], zeros())) {
    h.update(c as Uint8Array);
    if (!out.write(c)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  return h.digest('hex');
}

async function identity(ca: RunCa, slot: string): Promise<PeerIdentity> {
  const id = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { runId: ca.runId, runCaDer: ca.certDer, certDer: await ca.issueClientCert(id.publicKey.export({ type: 'spki', format: 'der' }), slot), key: id.privateKey };
}

async function startProducer(me: PeerIdentity, file: string, sha: string): Promise<{ host: string; port: number }> {
  const idFile = path.join(dir, 'producer-identity.json');
  fs.writeFileSync(idFile, JSON.stringify({ runId: me.runId, runCaDer: Buffer.from(me.runCaDer).toString('base64'), certDer: Buffer.from(me.certDer).toString('base64'), keyPem: me.key.export({ type: 'pkcs8', format: 'pem' }) }), { mode: 0o600 });
  const child = spawn(process.execPath, [PRODUCER, idFile, file, sha], { stdio: ['pipe', 'pipe', 'inherit'] });
  cleanups.push(() => child.kill());
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))) as { host: string; port: number });
    });
    child.on('exit', (code) => reject(new Error(`the producer exited (${code})`)));
  });
}

/** The ceiling: the same mTLS connection and request, every byte discarded (no hash, no file). */
function discard(me: PeerIdentity, address: { host: string; port: number }, id: string, sha: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const s = tls.connect({ ...peerTlsOptions(me), ...address, rejectUnauthorized: true, checkServerIdentity: () => undefined });
    s.on('secureConnect', () => s.write(JSON.stringify({ type: 'get', id, sha256: sha }) + '\n'));
    s.on('data', (b: Buffer) => (n += b.length));
    s.on('error', reject);
    s.on('end', () => resolve(n));
  });
}

function run(cmd: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.on('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`))));
  });
}

/** A throwaway sshd on 127.0.0.1:port with temporary keys; returns the scp arguments' common part, or null without sshd. */
async function startSshd(): Promise<string[] | null> {
  if (!fs.existsSync(SSHD)) return null;
  const d = path.join(dir, 'ssh');
  fs.mkdirSync(d, { mode: 0o700 });
  for (const k of ['host', 'client']) spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(d, k)], { stdio: 'ignore' });
  fs.copyFileSync(path.join(d, 'client.pub'), path.join(d, 'authorized_keys'));
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = 20000 + (process.pid % 20000);
  const config = path.join(d, 'sshd_config');
  fs.writeFileSync(config, [`Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${path.join(d, 'host')}`, `AuthorizedKeysFile ${path.join(d, 'authorized_keys')}`, `PidFile ${path.join(d, 'sshd.pid')}`, 'StrictModes no', 'UsePAM no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'Subsystem sftp internal-sftp', ''].join('\n'));
  const sshd = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'ignore'] });
  cleanups.push(() => {
    if (sshd.pid !== undefined) process.kill(sshd.pid, 'SIGTERM');
  });
  const common = ['-q', '-P', String(port), '-i', path.join(d, 'client'), '-o', 'StrictHostKeyChecking=no', '-o', `UserKnownHostsFile=${path.join(d, 'known_hosts')}`, '-o', 'BatchMode=yes'];
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    if (spawnSync('ssh', ['-p', String(port), ...common.slice(3), `${os.userInfo().username}@127.0.0.1`, 'true'], { stdio: 'ignore' }).status === 0) return common;
  }
  throw new Error('the throwaway sshd did not accept a connection within 5 s');
}

const file = path.join(dir, 'ciphertext.age');
let t = performance.now();
const sha = await makeCiphertext(file);
const size = fs.statSync(file).size;
process.stderr.write(`made a ${(size / 2 ** 30).toFixed(3)} GiB age ciphertext in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
const master = ephemeralMaster();
const ca = await RunCa.create(master, `bench-transfer-${process.pid}`, 3_600_000);
const producer = await identity(ca, 'bench-1');
const consumer = await identity(ca, 'bench-2');
const address = await startProducer(producer, file, sha);
const scp = await startSshd();

const rows = new Map<string, number[]>();
const add = (k: string, ms: number) => rows.set(k, [...(rows.get(k) ?? []), ms]);
for (let r = 0; r < REPS; r++) {
  const dest = path.join(dir, `pulled-${r}.age`);
  t = performance.now();
  const got = await fetchCiphertext(consumer, { slot: 'bench-1', ...address }, { id: file, sha256: sha }, dest);
  add('sealflow data port (mTLS 1.3, SHA-256 checked as it streams)', performance.now() - t);
  if (got.bytes !== size) throw new Error('short transfer');
  fs.rmSync(dest);
  t = performance.now();
  await fetchCiphertext(consumer, { slot: 'bench-1', ...address }, { id: file, sha256: sha }, dest, { threadedFrom: Infinity });
  add('sealflow data port, hashed and written on the event loop (no thread)', performance.now() - t);
  fs.rmSync(dest);
  t = performance.now();
  if ((await discard(consumer, address, file, sha)) < size) throw new Error('short transfer');
  add('ceiling: the same mTLS 1.3 stream, bytes discarded', performance.now() - t);
  if (scp) {
    const copy = path.join(dir, `scp-${r}.age`);
    const ms = await run('scp', [...scp, `${os.userInfo().username}@127.0.0.1:${file}`, copy]);
    add('scp (default cipher)', ms);
    const hashMs = await run('sha256sum', [copy]);
    add('scp, then sha256sum of the copy', ms + hashMs);
    fs.rmSync(copy);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const gibs = (ms: number) => (size / 2 ** 30 / (ms / 1000)).toFixed(2);
const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`transfer: ${(size / 2 ** 30).toFixed(3)} GiB over 127.0.0.1, ${REPS} reps each, alternating; 2 cores; load average ${load}`);
console.log('');
console.log('| tool | best s | median s | GiB/s (best) | GiB/s (median) |');
console.log('|---|---:|---:|---:|---:|');
for (const [k, xs] of rows) console.log(`| ${k} | ${(Math.min(...xs) / 1000).toFixed(2)} | ${(median(xs) / 1000).toFixed(2)} | ${gibs(Math.min(...xs))} | ${gibs(median(xs))} |`);
if (!scp) console.log(`\n(scp rows missing: ${SSHD} not found; apt-get install -y openssh-server)`);
cleanup();
process.exit(0);
