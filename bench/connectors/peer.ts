/**
 * bench/connectors' worker stand-in, run inside a namespace host
 * (`ip netns exec <host> node peer.js …`):
 *
 *   serve IDENTITY.json FILE SHA256   a worker's data port (mutual TLS 1.3, src/worker/attested/data-port.ts)
 *                                     and, beside it, the same one-line protocol over plain TCP (the measured
 *                                     alternative: ciphertext outside TLS); prints {"tls":port,"tcp":port},
 *                                     serves until stdin closes.
 *   pull IDENTITY.json MODE HOST PORT ID SHA256 DEST
 *                                     MODE tls: fetchCiphertext exactly as a consumer does (SHA-256 checked as
 *                                     it streams into DEST); tcp: the same over plain TCP (same sink, same
 *                                     check); discard: the mTLS stream, bytes dropped. Prints {"ms","bytes","cpu"}.
 */
import { createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { DataPort, type PeerIdentity } from '../../src/worker/attested/data-port.js';
import { fetchCiphertext } from '../../src/worker/attested/fetch.js';
import { hashingSink } from '../../src/worker/attested/hash-sink.js';
import tls from 'node:tls';
import { peerTlsOptions } from '../../src/worker/attested/data-port.js';

interface IdentityFile {
  readonly runId: string;
  readonly runCaDer: string;
  readonly certDer: string;
  readonly keyPem: string;
}

function identity(file: string): PeerIdentity {
  const id = JSON.parse(fs.readFileSync(file, 'utf8')) as IdentityFile;
  return { runId: id.runId, runCaDer: Buffer.from(id.runCaDer, 'base64'), certDer: Buffer.from(id.certDer, 'base64'), key: createPrivateKey(id.keyPem) };
}

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function serve(me: PeerIdentity, file: string, sha256: string): Promise<void> {
  const port = await DataPort.start(me, '0.0.0.0');
  port.offer('f', file, sha256);
  const size = fs.statSync(file).size;
  const plain = net.createServer((s) => {
    s.once('data', () => {
      s.write(JSON.stringify({ type: 'ok', size }) + '\n');
      fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(s);
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => plain.listen(0, '0.0.0.0', () => r()));
  process.stdout.write(JSON.stringify({ tls: port.address.port, tcp: (plain.address() as net.AddressInfo).port }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

function pullTcp(host: string, port: number, sha256: string, dest: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    let head = Buffer.alloc(0);
    let size = -1;
    let got = 0;
    let sink: ReturnType<typeof hashingSink> | null = null;
    s.on('connect', () => s.write(JSON.stringify({ type: 'get', id: 'f', sha256 }) + '\n'));
    const body = (b: Buffer) => {
      got += b.length;
      const busy = sink!.write(b);
      if (busy) {
        s.pause();
        void busy.then(() => s.resume());
      }
    };
    s.on('data', (b: Buffer) => {
      if (sink) return body(b);
      head = Buffer.concat([head, b]);
      const nl = head.indexOf(0x0a);
      if (nl < 0) return;
      size = (JSON.parse(head.subarray(0, nl).toString()) as { size: number }).size;
      sink = hashingSink(dest, size);
      body(head.subarray(nl + 1));
    });
    s.on('error', reject);
    s.on('end', () => {
      if (!sink || got !== size) return reject(new Error(`short: ${got} of ${size}`));
      void sink.end().then((h) => (h === sha256 ? resolve(got) : reject(new Error('hash differs'))));
    });
  });
}

function discard(me: PeerIdentity, host: string, port: number, sha256: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const s = tls.connect({ ...peerTlsOptions(me), host, port, rejectUnauthorized: true, checkServerIdentity: () => undefined });
    s.on('secureConnect', () => s.write(JSON.stringify({ type: 'get', id: 'f', sha256 }) + '\n'));
    s.on('data', (b: Buffer) => (n += b.length));
    s.on('error', reject);
    s.on('end', () => resolve(n));
  });
}

const [cmd, idFile, ...rest] = process.argv.slice(2);
if (cmd === 'serve' && idFile && rest.length === 2) {
  await serve(identity(idFile), rest[0]!, rest[1]!);
} else if (cmd === 'pull' && idFile && rest.length === 6) {
  const [mode, host, portS, slot, sha256, dest] = rest as [string, string, string, string, string, string];
  const me = identity(idFile);
  const port = Number(portS);
  const c0 = cpu();
  const t0 = performance.now();
  let bytes: number;
  if (mode === 'tls') bytes = (await fetchCiphertext(me, { host, port, slot }, { id: 'f', sha256 }, dest)).bytes;
  else if (mode === 'tcp') bytes = await pullTcp(host, port, sha256, dest);
  else if (mode === 'discard') bytes = await discard(me, host, port, sha256);
  else throw new Error(`unknown mode ${mode}`);
  process.stdout.write(JSON.stringify({ ms: performance.now() - t0, bytes, cpu: cpu() - c0 }) + '\n');
} else {
  process.stderr.write('usage: peer.js serve IDENTITY.json FILE SHA256 | pull IDENTITY.json tls|tcp|discard HOST PORT SLOT SHA256 DEST\n');
  process.exit(2);
}
