/**
 * The executor port (docs/protocol.md §9): mutual TLS 1.3 with the run CA's
 * server certificate. A client is accepted only with a certificate issued by
 * this run's CA, valid now, not revoked, and belonging to an attested, live
 * worker; TLS itself proves it holds the certificate's key (generated in
 * its TEE). The execution channel (§1) then runs over the connection.
 */
import tls from 'node:tls';
import { streamChannel, type Channel } from '../../protocol/channel.js';
import { validateSealedWorkerToMaster } from '../../protocol/data-port.js';
import { MAX_FRAME_EXECUTION, type MasterToWorker, type WorkerToMaster } from '../../protocol/execution.js';
import type { Validator } from '../../protocol/schema.js';
import { listenOn, type KeyBroker } from './broker.js';
import type { AttestedWorker } from './types.js';

/** docs/protocol.md "Framing and limits": the executor port's TLS handshake deadline. */
const TLS_HANDSHAKE_MS = 30_000;

export type WorkerChannel = Channel<MasterToWorker, WorkerToMaster>;

export class ExecServer {
  readonly #server: tls.Server;
  readonly #sockets = new Set<tls.TLSSocket>();
  readonly #waiters = new Map<string, (c: WorkerChannel) => void>();
  readonly #channels = new Map<string, WorkerChannel>();

  private constructor(
    private readonly broker: KeyBroker,
    server: tls.Server,
  ) {
    this.#server = server;
  }

  /** Listens on `host` and the first free port of `port` (a number, 0 for any, or a range). */
  static async start(broker: KeyBroker, host = '127.0.0.1', port: number | readonly [number, number] = 0): Promise<ExecServer> {
    const creds = await broker.opts.runCa.serverCredentials();
    // A client has TLS_HANDSHAKE_MS to complete the handshake (and present its run certificate), however it trickles its bytes.
    const server = tls.createServer({ cert: creds.certChainPem, key: creds.keyPem, minVersion: 'TLSv1.3', requestCert: true, rejectUnauthorized: false, handshakeTimeout: TLS_HANDSHAKE_MS });
    const es = new ExecServer(broker, server);
    // Small messages both ways (assign, started, succeeded): without TCP_NODELAY, Nagle + delayed ACK hold a reply ~40 ms (§10.4).
    server.on('secureConnection', (s) => es.#onConnection(s.setNoDelay(true)));
    server.on('tlsClientError', (e) => broker.strangerRefusals.note('execution', { reason: 'tls-handshake', message: `the TLS handshake failed: ${e.message}` }));
    await listenOn(server, host, port);
    return es;
  }

  get address(): { readonly host: string; readonly port: number } {
    const a = this.#server.address();
    if (!a || typeof a === 'string') throw new Error('the executor port is not listening');
    return { host: a.address, port: a.port };
  }

  /** Resolves with the channel of `slot` once its executor has connected. */
  channel(slot: string): Promise<WorkerChannel> {
    const c = this.#channels.get(slot);
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => this.#waiters.set(slot, resolve));
  }

  /** A worker holding a valid run certificate is refused: journalled, one line per connection (there are few such workers). */
  #refuse(socket: tls.TLSSocket, reason: string, message: string, worker?: string): void {
    this.broker.opts.record({ type: 'exec-connection', decision: 'refused', reason, message, ...(worker !== undefined ? { worker } : {}) });
    socket.destroy();
  }

  /** A peer without a valid run certificate is a stranger: counted, at most one journal line per interval ("Framing and limits"). */
  #stranger(socket: tls.TLSSocket, reason: string, message: string): void {
    this.broker.strangerRefusals.note('execution', { reason, message });
    socket.destroy();
  }

  #onConnection(socket: tls.TLSSocket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    const peer = socket.getPeerCertificate();
    if (!peer || !peer.raw) return this.#stranger(socket, 'no-client-cert', 'the client presented no certificate');
    const problem = this.broker.opts.runCa.checkClientCert(peer.raw, this.broker.now());
    if (problem) return this.#stranger(socket, 'bad-client-cert', problem);
    let worker: AttestedWorker | undefined;
    for (const w of this.broker.workers.values()) if (Buffer.from(w.clientCertDer).equals(peer.raw)) worker = w;
    if (!worker) return this.#stranger(socket, 'unknown-worker', 'the certificate belongs to no attested worker');
    if (!worker.alive) return this.#refuse(socket, 'worker-dead', `worker ${worker.slot} was declared dead`, worker.slot);
    if (this.#channels.has(worker.slot)) return this.#refuse(socket, 'duplicate', `worker ${worker.slot} is already connected`, worker.slot);
    const slot = worker.slot;
    // An authenticated peer: each refusal is journalled (one per connection: it closes the channel, and the worker is lost).
    const channel: WorkerChannel = streamChannel(socket, socket, {
      validate: validateSealedWorkerToMaster as Validator<WorkerToMaster>,
      maxFrame: MAX_FRAME_EXECUTION,
      name: 'execution channel',
      onRefuse: (e) => this.broker.opts.record({ type: 'protocol-refusal', channel: 'execution', worker: slot, reason: e.reason, message: `worker ${slot}: ${e.message}` }),
    });
    // One wrapper for both paths: a waiter given the bare channel left the wrapper holding (and, past
    // MAX_EARLY messages, closing) every message — a worker was lost after about eight steps.
    const held = holdEarly(channel);
    this.#channels.set(worker.slot, held);
    this.broker.opts.record({ type: 'exec-connection', decision: 'accepted', worker: worker.slot });
    this.#waiters.get(worker.slot)?.(held);
    this.#waiters.delete(worker.slot);
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}

/** Messages a worker may send before the master takes its channel (its `ready`); more is a protocol breach. */
const MAX_EARLY = 16;

/**
 * The channel, holding what the worker sends before anyone listens: a worker
 * whose connector reports it started only after polling (a batch job) can be
 * attested, connected and `ready` before the master asks for its channel.
 */
function holdEarly(inner: WorkerChannel): WorkerChannel {
  let early: WorkerToMaster[] | null = [];
  const handlers: ((m: WorkerToMaster) => void)[] = [];
  inner.onMessage((m) => {
    if (early === null) for (const h of handlers) h(m);
    else if (early.push(m) > MAX_EARLY) inner.close();
  });
  return {
    send: (m) => inner.send(m),
    onMessage(h) {
      handlers.push(h);
      if (early !== null) {
        const held = early;
        early = null;
        for (const m of held) h(m);
      }
    },
    onClose: (h) => inner.onClose(h),
    close: () => inner.close(),
  };
}
