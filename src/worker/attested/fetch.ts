/**
 * The consumer side of a worker ↔ worker transfer (docs/protocol.md §15.3):
 * mutual TLS 1.3 to the producer's data port on run-CA certificates (the
 * producer must present the certificate of the slot the master named, not
 * revoked), one `get` for the file id with the hash the master recorded,
 * and the ciphertext streamed into the consumer's scratch while it is
 * hashed. A ciphertext whose size or SHA-256 is not the recorded one is
 * deleted and refused — before anything decrypts it.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import tls from 'node:tls';
import { MAX_LINE, validateGetResponse, type DataSource, type GetRequest, type GetResponse, type TransferMsg } from '../../protocol/data-port.js';
import { parseMessage } from '../../protocol/schema.js';
import { peerTlsOptions, type PeerIdentity } from './data-port.js';
import { hashingSink, type Sink } from './hash-sink.js';

/** A failed pull, with a stable reason: `connect`, `server-identity`, `refused`, `closed`, `timeout`, `truncated`, `oversize`, `hash-mismatch`, `write`. */
export class FetchError extends Error {
  override readonly name = 'FetchError';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface FetchRequest {
  /** The file id the master recorded (the key of `sealed.files`). */
  readonly id: string;
  /** Hex SHA-256 of the ciphertext, as the master recorded it. */
  readonly sha256: string;
}

export interface FetchOptions {
  /** Serial numbers of revoked run-CA certificates: a producer presenting one is refused. */
  readonly revoked?: ReadonlySet<string>;
  /** Idle time after which the pull is abandoned (default 30 s). */
  readonly timeoutMs?: number;
  /** Time for the TCP connection and the TLS handshake (default 3 s): a producer that cannot be reached quickly is left for the master's copy. */
  readonly connectTimeoutMs?: number;
  /** Size from which hashing and writing run on a worker thread (default THREADED_FROM; bench/transfer compares). */
  readonly threadedFrom?: number;
}

/** How long a consumer waits for the producer's data port to connect and complete the handshake. */
export const CONNECT_TIMEOUT_MS = 3_000;

/** Why the producer's certificate is not the one of `slot` in this run, or undefined. */
function checkProducer(me: PeerIdentity, slot: string, cert: tls.PeerCertificate, revoked: ReadonlySet<string>): Error | undefined {
  if (!cert.raw) return new Error('the producer presented no certificate');
  const x = new X509Certificate(cert.raw);
  const cn = /^CN=(.*)$/m.exec(x.subject)?.[1];
  if (cn !== `${me.runId}/${slot}`) return new Error(`the producer's certificate is for ${cn ?? '(no name)'}, not ${me.runId}/${slot}`);
  if (revoked.has(x.serialNumber)) return new Error(`the producer's certificate (worker ${slot}) was revoked`);
  return undefined;
}

/**
 * Pulls one ciphertext from `source` into `dest` (created 0600, must not
 * exist). Resolves with its size once it is complete and its SHA-256 is the
 * recorded one; otherwise removes `dest` and rejects with a FetchError.
 */
export async function fetchCiphertext(me: PeerIdentity, source: DataSource, want: FetchRequest, dest: string, o: FetchOptions = {}): Promise<{ bytes: number; ms: number }> {
  const t0 = performance.now();
  const revoked = o.revoked ?? new Set<string>();
  const socket = tls.connect({
    ...peerTlsOptions(me),
    host: source.host,
    port: source.port,
    rejectUnauthorized: true,
    checkServerIdentity: (_host, cert) => checkProducer(me, source.slot, cert, revoked),
  });
  let sink: Sink | null = null;
  let header: GetResponse | null = null;
  let head = Buffer.alloc(0);
  let received = 0;
  let connected = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (reason: string, message: string) => {
        socket.destroy();
        reject(new FetchError(reason, `pulling ${want.id} from worker ${source.slot} at ${source.host}:${source.port}: ${message}`));
      };
      socket.setTimeout(o.timeoutMs ?? 30_000, () => fail('timeout', 'no data for too long'));
      const connecting = setTimeout(() => fail('connect', `no connection within ${o.connectTimeoutMs ?? CONNECT_TIMEOUT_MS} ms`), o.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
      socket.once('close', () => clearTimeout(connecting));
      socket.once('secureConnect', () => {
        clearTimeout(connecting);
        connected = true;
        socket.write(JSON.stringify({ type: 'get', id: want.id, sha256: want.sha256 } satisfies GetRequest) + '\n');
      });
      socket.on('error', (e: NodeJS.ErrnoException) => {
        const identity = e.code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /producer/.test(e.message);
        fail(identity ? 'server-identity' : connected ? 'refused' : 'connect', e.message);
      });
      const body = (b: Buffer) => {
        if (header?.type !== 'ok' || !sink || b.length === 0) return;
        received += b.length;
        if (received > header.size) return fail('oversize', `more than the announced ${header.size} bytes`);
        try {
          const busy = sink.write(b);
          if (busy) {
            socket.pause();
            void busy.then(() => socket.resume());
          }
        } catch (e) {
          fail('write', e instanceof Error ? e.message : String(e));
        }
      };
      socket.on('data', (b: Buffer) => {
        if (header) return body(b);
        head = Buffer.concat([head, b]);
        const nl = head.indexOf(0x0a);
        if (nl < 0) return head.length > MAX_LINE ? fail('refused', 'the answer is not a data-port response') : undefined;
        try {
          header = parseMessage(head.subarray(0, nl), validateGetResponse);
        } catch {
          return fail('refused', 'the answer is not a data-port response');
        }
        if (header.type === 'refused') return fail('refused', `the producer refused: ${String(header.reason)}`);
        try {
          sink = hashingSink(dest, header.size, o.threadedFrom);
        } catch (e) {
          return fail('write', e instanceof Error ? e.message : String(e));
        }
        body(head.subarray(nl + 1));
      });
      socket.on('end', () => {
        if (header?.type !== 'ok') return fail('closed', connected ? 'the producer closed the connection (refused?)' : 'the connection closed');
        if (received !== header.size) return fail('truncated', `${received} of ${header.size} bytes`);
        resolve();
      });
    });
    const sha = await (sink as Sink | null)?.end();
    sink = null;
    if (sha !== want.sha256) throw new FetchError('hash-mismatch', `pulling ${want.id} from worker ${source.slot}: the ciphertext's SHA-256 ${sha} is not the one the master recorded (${want.sha256}); refusing it before decryption`);
    return { bytes: received, ms: performance.now() - t0 };
  } catch (e) {
    await (sink as Sink | null)?.destroy();
    await fs.promises.rm(dest, { force: true });
    throw e instanceof FetchError ? e : new FetchError('write', e instanceof Error ? e.message : String(e));
  }
}

/** How the attested executor obtains an input that another worker produced (used by `prepareSealed`). */
export interface Puller {
  /**
   * Pulls `id` from `source` into `dest`; resolves with `dest` once its hash
   * checked, or with null (the caller falls back to the master's copy) after
   * reporting why.
   */
  pull(attempt: string, id: string, sha256: string, source: DataSource, dest: string): Promise<string | null>;
  /**
   * Where the master's copy of `id` is, for a `lazy` source whose pull
   * failed: asks for nothing itself (the failed pull's `fallback` report
   * does), waits for the master's `staged` answer. Rejects if the master
   * could not copy it or the channel closes.
   */
  masterCopy(attempt: string, id: string): Promise<string>;
}

/** The worker's report of one pull: the `transfer` message without its tag. */
export type TransferReport = Omit<TransferMsg, 'type'>;

export function puller(me: PeerIdentity, revoked: ReadonlySet<string>, report: (r: TransferReport) => void, masterCopy: (attempt: string, id: string) => Promise<string> = (_, id) => Promise.reject(new Error(`no master's copy of ${id} will be staged on this host`))): Puller {
  return {
    masterCopy,
    async pull(attempt, id, sha256, source, dest) {
      const t0 = performance.now();
      try {
        // The producer offers the file under its own id where it has no access to the master's disk (§15.8).
        const r = await fetchCiphertext(me, source, { id: source.id ?? id, sha256 }, dest, { revoked });
        report({ id: attempt, file: id, from: source.slot, outcome: 'pulled', bytes: r.bytes, ms: Math.round(r.ms) });
        return dest;
      } catch (e) {
        const reason = e instanceof FetchError ? e.reason : 'error';
        report({ id: attempt, file: id, from: source.slot, outcome: 'fallback', bytes: 0, ms: Math.round(performance.now() - t0), reason });
        return null;
      }
    },
  };
}
