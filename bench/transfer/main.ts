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
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeIdentityFile, zerosCiphertext } from './fixtures.js';
import { ephemeralMaster } from '../../src/crypto/master-key.js';
import { RunCa } from '../../src/crypto/run-ca.js';
import tls from 'node:tls';
import { peerTlsOptions, type PeerIdentity } from '../../src/worker/attested/data-port.js';
import { fetchCiphertext } from '../../src/worker/attested/fetch.js';
import { helpIfAsked } from '../help.js';

helpIfAsked(`usage: node dist/bench/transfer/main.js [--mib 1024] [--reps 3]

Measures a worker-to-worker encrypted transfer (docs/protocol.md §15) beside scp over loopback, in one
invocation: an age ciphertext served by one worker's data port and pulled by another over mutual
TLS 1.3, written and SHA-256-checked as it streams; scp from a throwaway sshd with and without a
sha256sum afterwards; and the ceiling, the same TLS stream discarded. Needs /usr/sbin/sshd for the scp
rows.`);

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

async function identity(ca: RunCa, slot: string): Promise<PeerIdentity> {
  const id = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { runId: ca.runId, runCaDer: ca.certDer, certDer: await ca.issueClientCert(id.publicKey.export({ type: 'spki', format: 'der' }), slot), key: id.privateKey };
}

async function startProducer(me: PeerIdentity, file: string, sha: string): Promise<{ host: string; port: number; pid: number }> {
  const idFile = path.join(dir, 'producer-identity.json');
  writeIdentityFile(idFile, me);
  const child = spawn(process.execPath, [PRODUCER, idFile, file, sha], { stdio: ['pipe', 'pipe', 'inherit'] });
  cleanups.push(() => child.kill());
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve({ ...(JSON.parse(out.slice(0, out.indexOf('\n'))) as { host: string; port: number }), pid: child.pid ?? 0 });
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

/** utime + stime of a live process, and cutime + cstime (its reaped children), in seconds (/proc/PID/stat). */
function procCpu(pid: number): { self: number; children: number } {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const v = f.slice(f.lastIndexOf(')') + 2).split(' ').map(Number);
  const tick = 100; // USER_HZ
  return { self: ((v[11] ?? 0) + (v[12] ?? 0)) / tick, children: ((v[13] ?? 0) + (v[14] ?? 0)) / tick };
}
const selfCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Runs a command; its wall time (ms) and CPU seconds (its own and its children's, from /usr/bin/time). */
function run(cmd: string, args: readonly string[]): Promise<{ ms: number; cpu: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const timeFile = path.join(dir, 'time.txt');
    const c = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%U %S', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.on('exit', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`));
      const [u, sys] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
      resolve({ ms, cpu: (u ?? NaN) + (sys ?? NaN) });
    });
  });
}

/** A throwaway sshd on 127.0.0.1:port with temporary keys; returns the scp arguments' common part, or null without sshd. */
let sshdPid = 0;
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
  sshdPid = sshd.pid ?? 0;
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
const t0 = performance.now();
const sha = await zerosCiphertext(file, MIB);
const size = fs.statSync(file).size;
process.stderr.write(`made a ${(size / 2 ** 30).toFixed(3)} GiB age ciphertext in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
const master = ephemeralMaster();
const ca = await RunCa.create(master, `bench-transfer-${process.pid}`, 3_600_000);
const producer = await identity(ca, 'bench-1');
const consumer = await identity(ca, 'bench-2');
const address = await startProducer(producer, file, sha);
let t = 0;
const scp = await startSshd();

const rows = new Map<string, { ms: number; cpu: number }[]>();
const add = (k: string, ms: number, cpu: number) => rows.set(k, [...(rows.get(k) ?? []), { ms, cpu }]);
/** Times `f`, with the CPU seconds of this process (all its threads) and of the producer. */
async function ours(k: string, f: () => Promise<unknown>): Promise<void> {
  const c0 = selfCpu() + procCpu(address.pid).self;
  t = performance.now();
  await f();
  add(k, performance.now() - t, selfCpu() + procCpu(address.pid).self - c0);
}
for (let r = 0; r < REPS; r++) {
  const dest = path.join(dir, `pulled-${r}.age`);
  const source = { slot: 'bench-1', host: address.host, port: address.port };
  // The two data-port variants swap places every rep: the first 1 GiB write after the previous case measured
  // markedly slower whatever came first (a position effect, not the variant's).
  const pulls: [string, () => Promise<unknown>][] = [
    ['sealflow data port (mTLS 1.3, SHA-256 checked as it streams)', async () => {
      if ((await fetchCiphertext(consumer, source, { id: file, sha256: sha }, dest)).bytes !== size) throw new Error('short transfer');
    }],
    ['sealflow data port, hashed and written on the event loop (no thread)', () => fetchCiphertext(consumer, source, { id: file, sha256: sha }, dest, { threadedFrom: Infinity })],
  ];
  for (const [name, f] of r % 2 === 0 ? pulls : [...pulls].reverse()) {
    await ours(name, f);
    fs.rmSync(dest);
  }
  await ours('ceiling: the same mTLS 1.3 stream, bytes discarded', async () => {
    if ((await discard(consumer, source, file, sha)) < size) throw new Error('short transfer');
  });
  if (scp) {
    const copy = path.join(dir, `scp-${r}.age`);
    const server0 = procCpu(sshdPid).children;
    const c = await run('scp', [...scp, `${os.userInfo().username}@127.0.0.1:${file}`, copy]);
    await new Promise((res) => setTimeout(res, 300)); // the sshd session is reaped
    const cpu = c.cpu + procCpu(sshdPid).children - server0;
    add('scp (default cipher)', c.ms, cpu);
    const h = await run('sha256sum', [copy]);
    add('scp, then sha256sum of the copy', c.ms + h.ms, cpu + h.cpu);
    fs.rmSync(copy);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const gib = size / 2 ** 30;
const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`transfer: ${gib.toFixed(3)} GiB over 127.0.0.1, ${REPS} reps each, alternating; 2 cores; load average ${load}`);
console.log('CPU s/GiB: both ends (sealflow: this process with its threads + the producer; scp: scp, ssh and the sshd session).');
console.log('');
console.log('| tool | best s | median s | GiB/s (best) | GiB/s (median) | CPU s/GiB (median) |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [k, xs] of rows) {
  const ms = xs.map((x) => x.ms);
  const best = Math.min(...ms);
  console.log(`| ${k} | ${(best / 1000).toFixed(2)} | ${(median(ms) / 1000).toFixed(2)} | ${(gib / (best / 1000)).toFixed(2)} | ${(gib / (median(ms) / 1000)).toFixed(2)} | ${(median(xs.map((x) => x.cpu)) / gib).toFixed(2)} |`);
}
if (!scp) console.log(`\n(scp rows missing: ${SSHD} not found; apt-get install -y openssh-server)`);
cleanup();
process.exit(0);
