/**
 * A worker's data port (docs/protocol.md §15.2): a TLS 1.3 server with the
 * worker's run-CA certificate that serves the ciphertexts this worker
 * produced in this run, by the file id the master recorded, to other
 * workers of the run. A client must present a certificate issued by this
 * run's CA (the only trust anchor: another run's CA fails the handshake)
 * that is not revoked (the master keeps the revocation set current with
 * `revoked` messages, §15.4). It never serves plaintext: only files it
 * registered as its own encrypted outputs, and only if they still start
 * with the age header.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import tls from 'node:tls';
import { MAX_LINE, validateGetRequest, type DataAddress, type GetRequest, type GetResponse } from '../../protocol/data-port.js';
import { LineFramer } from '../../protocol/framer.js';
import { parseMessage } from '../../protocol/schema.js';

/** PEM of a DER certificate (here, not from crypto/x509-issue.ts: that module would pull pkijs, ~0.8 MB, into the executor bundle). */
function derToPem(der: Uint8Array): string {
  return `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}

const AGE_MAGIC = Buffer.from('age-encryption.org/v1\n');
/** A client has this long for the TLS handshake, and then this long to send its whole request (absolute: trickled bytes do not extend it). */
const REQUEST_TIMEOUT_MS = 10_000;

/** The worker's own identity on the run's PKI, and the run CA it trusts. */
export interface PeerIdentity {
  readonly runId: string;
  /** The run CA certificate (DER): the only trust anchor. */
  readonly runCaDer: Uint8Array;
  /** This worker's run-CA certificate (DER), subject `<run id>/<slot>`. */
  readonly certDer: Uint8Array;
  /** Its ECDSA P-256 identity key (generated in the TEE). */
  readonly key: KeyObject;
}

export interface DataPortStats {
  /** Ciphertexts served completely. */
  served: number;
  /** Ciphertext bytes written to clients. */
  bytes: number;
  /** Refusals by reason: `handshake` (failed TLS), `no-certificate`, `untrusted` (not issued by this run's CA, or not valid now), `revoked`, `other-run`, `bad-request`, `unknown-id`, `hash-differs`, `not-ciphertext`, `unreadable`. */
  readonly refused: Record<string, number>;
}

/** The TLS options both ends of a data-port connection share: TLS 1.3, the run CA as the only anchor. */
export function peerTlsOptions(me: PeerIdentity): tls.SecureContextOptions & { minVersion: 'TLSv1.3' } {
  return {
    minVersion: 'TLSv1.3',
    cert: derToPem(me.certDer),
    key: me.key.export({ type: 'pkcs8', format: 'pem' }) as string,
    ca: derToPem(me.runCaDer),
    // The run CA is signed by the master key, which has no certificate: it is the anchor itself.
    allowPartialTrustChain: true,
  };
}

export function serialOf(der: Uint8Array): string {
  return new X509Certificate(Buffer.from(der)).serialNumber;
}

/**
 * Why a client's certificate is not acceptable on this run's data ports, as
 * a refusal reason, or null: issued (signed) by this run's CA, valid now,
 * not revoked, subject `<run id>/<slot>`. (Checked here, not by OpenSSL:
 * Node 20 honours `allowPartialTrustChain` when it verifies a server, but
 * not when a server verifies its client against an intermediate anchor.
 * TLS still proves the client holds the certificate's key.)
 */
export function checkPeerCert(me: PeerIdentity, der: Uint8Array, revoked: ReadonlySet<string>, now = new Date()): string | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(der));
  } catch {
    return 'untrusted';
  }
  const ca = new X509Certificate(Buffer.from(me.runCaDer));
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'untrusted';
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) return 'untrusted';
  if (revoked.has(cert.serialNumber)) return 'revoked';
  if (!(/^CN=(.*)$/m.exec(cert.subject)?.[1] ?? '').startsWith(`${me.runId}/`)) return 'other-run';
  return null;
}

export class DataPort {
  readonly #server: tls.Server;
  readonly #offers = new Map<string, { readonly file: string; readonly sha256: string }>();
  readonly #revoked = new Set<string>();
  readonly #sockets = new Map<tls.TLSSocket, string>();
  readonly stats: DataPortStats = { served: 0, bytes: 0, refused: {} };

  private constructor(
    readonly me: PeerIdentity,
    server: tls.Server,
  ) {
    this.#server = server;
  }

  static async start(me: PeerIdentity, host = '127.0.0.1', port = 0): Promise<DataPort> {
    const server = tls.createServer({ ...peerTlsOptions(me), requestCert: true, rejectUnauthorized: false, handshakeTimeout: REQUEST_TIMEOUT_MS });
    const dp = new DataPort(me, server);
    server.on('secureConnection', (s) => dp.#onConnection(s));
    server.on('tlsClientError', () => dp.#count('handshake'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return dp;
  }

  get address(): DataAddress {
    const a = this.#server.address();
    if (!a || typeof a === 'string') throw new Error('the data port is not listening');
    return { host: a.address, port: a.port };
  }

  /** A ciphertext this worker produced (file id = the path the master records, its SHA-256 as reported). */
  offer(id: string, file: string, sha256: string): void {
    this.#offers.set(id, { file, sha256 });
  }

  /** The run's revocation set (the whole set, §15.4); open connections of revoked clients are cut. */
  revoke(serials: readonly string[]): void {
    for (const s of serials) this.#revoked.add(s);
    for (const [socket, serial] of this.#sockets) if (this.#revoked.has(serial)) socket.destroy();
  }

  get revoked(): ReadonlySet<string> {
    return this.#revoked;
  }

  #count(reason: string): void {
    this.stats.refused[reason] = (this.stats.refused[reason] ?? 0) + 1;
  }

  #refuse(socket: tls.TLSSocket, reason: string, answer: boolean): void {
    this.#count(reason);
    if (answer) socket.end(JSON.stringify({ type: 'refused', reason } satisfies GetResponse) + '\n');
    else socket.destroy();
  }

  #onConnection(socket: tls.TLSSocket): void {
    socket.on('error', () => undefined);
    // Refused before the request is even read: no byte for a client without a valid, unrevoked run certificate.
    const peer = socket.getPeerCertificate();
    if (!peer.raw) return this.#refuse(socket, 'no-certificate', false);
    const problem = checkPeerCert(this.me, peer.raw, this.#revoked);
    if (problem) return this.#refuse(socket, problem, false);
    this.#sockets.set(socket, serialOf(peer.raw));
    socket.on('close', () => this.#sockets.delete(socket));
    const deadline = setTimeout(() => (this.#count('deadline'), socket.destroy()), REQUEST_TIMEOUT_MS);
    socket.on('close', () => clearTimeout(deadline));
    const framer = new LineFramer(MAX_LINE, 'data port');
    const onData = (b: Buffer) => {
      let req: GetRequest;
      try {
        const [line] = framer.push(b);
        if (line === undefined) return;
        req = parseMessage(line, validateGetRequest);
      } catch {
        // Too long, not JSON, or not a `get` request (docs/protocol.md "Framing and limits").
        socket.off('data', onData);
        clearTimeout(deadline);
        return this.#refuse(socket, 'bad-request', true);
      }
      socket.off('data', onData);
      socket.pause();
      clearTimeout(deadline);
      void this.#serve(socket, req);
    };
    socket.on('data', onData);
  }

  async #serve(socket: tls.TLSSocket, req: GetRequest): Promise<void> {
    const offer = this.#offers.get(req.id);
    if (!offer) return this.#refuse(socket, 'unknown-id', true);
    // The master recorded another hash for this id than the one this worker produced: not ours to serve.
    if (offer.sha256 !== req.sha256) return this.#refuse(socket, 'hash-differs', true);
    let fd: fs.promises.FileHandle;
    let size: number;
    try {
      fd = await fs.promises.open(offer.file, 'r');
      size = (await fd.stat()).size;
      const head = Buffer.alloc(AGE_MAGIC.length);
      await fd.read(head, 0, head.length, 0);
      if (!head.equals(AGE_MAGIC)) {
        await fd.close();
        return this.#refuse(socket, 'not-ciphertext', true);
      }
    } catch {
      return this.#refuse(socket, 'unreadable', true);
    }
    socket.write(JSON.stringify({ type: 'ok', size } satisfies GetResponse) + '\n');
    const stream = fd.createReadStream({ start: 0, highWaterMark: 1 << 20 });
    stream.on('data', (c) => (this.stats.bytes += c.length));
    stream.on('error', () => socket.destroy());
    socket.on('close', () => stream.destroy());
    stream.on('end', () => (this.stats.served += 1));
    stream.pipe(socket);
  }

  async close(): Promise<void> {
    for (const s of this.#sockets.keys()) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}
