/**
 * Worker → worker transfer between two namespace hosts (docs/protocol.md
 * §15, docs/connectors/ssh.md), beside `scp` of the same file from the same
 * host's sshd, in one invocation. Each host is a network namespace with its
 * own sshd (test/helpers/hosts.ts); the two reach each other through the
 * root namespace (ip_forward), as ssh workers on two machines would.
 *
 * Rows, each pulling the same 1 GiB age ciphertext from host 0 into a file on host 1:
 * - sealflow data port: mutual TLS 1.3, SHA-256 checked as it streams (what a consumer runs);
 * - the same one-line protocol over plain TCP with the same hashing sink (the alternative: ciphertext outside TLS);
 * - the mTLS stream with every byte discarded (the channel's ceiling);
 * - `scp root@host0:file` run on host 1 (default cipher), and `scp` then `sha256sum` of the copy.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ephemeralMaster } from '../../src/crypto/master-key.js';
import { RunCa } from '../../src/crypto/run-ca.js';
import { startHosts } from '../../test/helpers/hosts.js';
import { writeIdentityFile, zerosCiphertext } from '../transfer/fixtures.js';

const PEER = fileURLToPath(new URL('./peer.js', import.meta.url));

interface Row {
  ms: number;
}

async function identityFile(dir: string, ca: RunCa, slot: string): Promise<string> {
  const id = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const certDer = await ca.issueClientCert(id.publicKey.export({ type: 'spki', format: 'der' }), slot);
  const f = path.join(dir, `${slot}.json`);
  writeIdentityFile(f, { runId: ca.runId, runCaDer: ca.certDer, certDer, key: id.privateKey });
  return f;
}

/** Runs argv to completion; its stdout. */
function exec(argv: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')} exited ${code}: ${err.trim()}`))));
  });
}

export async function transferBench(mib: number, reps: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-bench-direct-'));
  const hosts = await startHosts(2);
  const [h0, h1] = hosts.hosts as [(typeof hosts.hosts)[0], (typeof hosts.hosts)[0]];
  const children: ReturnType<typeof spawn>[] = [];
  try {
    const file = path.join(dir, 'ciphertext.age');
    const sha = await zerosCiphertext(file, mib);
    const size = fs.statSync(file).size;
    const ca = await RunCa.create(ephemeralMaster(), `bench-direct-${process.pid}`, 3_600_000);
    const producerId = await identityFile(dir, ca, 'w0');
    const consumerId = await identityFile(dir, ca, 'w1');
    const producer = spawn('ip', ['netns', 'exec', h0.name, process.execPath, PEER, 'serve', producerId, file, sha], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(producer);
    const ports = await new Promise<{ tls: number; tcp: number }>((resolve, reject) => {
      let out = '';
      producer.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))) as { tls: number; tcp: number });
      });
      producer.on('exit', (code) => reject(new Error(`the producer exited (${code})`)));
    });
    const rows = new Map<string, Row[]>();
    const add = (k: string, ms: number) => rows.set(k, [...(rows.get(k) ?? []), { ms }]);
    const dest = path.join(dir, 'pulled.age');
    const pull = async (mode: string, port: number) => {
      const out = await exec(['ip', 'netns', 'exec', h1.name, process.execPath, PEER, 'pull', consumerId, mode, h0.address, String(port), 'w0', sha, dest]);
      fs.rmSync(dest, { force: true });
      const r = JSON.parse(out.trim()) as { ms: number; bytes: number };
      if (r.bytes < size) throw new Error(`${mode}: ${r.bytes} of ${size} bytes`);
      return r.ms;
    };
    const scpArgv = ['ip', 'netns', 'exec', h1.name, 'scp', '-q', '-F', '/dev/null', '-i', hosts.identityFile, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${hosts.knownHostsFile}`, `root@${h0.address}:${file}`, dest];
    for (let r = 0; r < reps; r++) {
      const cases: [string, () => Promise<number>][] = [
        ['sealflow data port (mutual TLS 1.3, SHA-256 checked as it streams)', () => pull('tls', ports.tls)],
        ['same protocol over plain TCP (same sink, same hash check)', () => pull('tcp', ports.tcp)],
        ['ceiling: the mTLS 1.3 stream, bytes discarded', () => pull('discard', ports.tls)],
        ['scp (default cipher), host 1 pulling from host 0\'s sshd', async () => {
          const t0 = performance.now();
          await exec(scpArgv);
          const ms = performance.now() - t0;
          const t1 = performance.now();
          const sum = (await exec(['sha256sum', dest])).split(/\s+/)[0];
          if (sum !== sha) throw new Error('scp copy differs');
          add('scp, then sha256sum of the copy', ms + performance.now() - t1);
          fs.rmSync(dest, { force: true });
          return ms;
        }],
      ];
      // Alternate the order every rep (the first 1 GiB write after another measures slower whatever it is).
      for (const [k, f] of r % 2 === 0 ? cases : [...cases].reverse()) add(k, await f());
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const gib = size / 2 ** 30;
    console.log(`transfer: ${gib.toFixed(3)} GiB from namespace host ${h0.address} to ${h1.address} (through the root namespace, ip_forward), ${reps} reps, alternating order; ${os.cpus().length} cores; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log('');
    console.log('| path | best s | median s | GiB/s (best) | GiB/s (median) |');
    console.log('|---|---:|---:|---:|---:|');
    for (const [k, xs] of rows) {
      const ms = xs.map((x) => x.ms);
      const best = Math.min(...ms);
      console.log(`| ${k} | ${(best / 1000).toFixed(2)} | ${(median(ms) / 1000).toFixed(2)} | ${(gib / (best / 1000)).toFixed(2)} | ${(gib / (median(ms) / 1000)).toFixed(2)} |`);
    }
    const m = (k: string) => median((rows.get(k) ?? []).map((x) => x.ms));
    const ratio = m('scp (default cipher), host 1 pulling from host 0\'s sshd') / m('sealflow data port (mutual TLS 1.3, SHA-256 checked as it streams)');
    console.log(`\nsealflow / scp (median throughput): ${ratio.toFixed(2)}×`);
  } finally {
    for (const c of children) c.stdin?.end();
    for (const c of children) if (c.exitCode === null) await new Promise((r) => c.once('exit', r));
    await hosts.stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
