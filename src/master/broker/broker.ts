/**
 * The key broker: the master side of WCPAC (docs/protocol.md §4–§8). It
 * lives in the engine because it holds run state — expected slots,
 * challenges, attested workers, epochs, recorded hashes — and the run's
 * keys; src/attestation stays a pure verifier it calls.
 *
 * A TLS 1.3 server with the run CA's server certificate. Per connection:
 * the provisioner's launch ticket first (§3a: until it is the live ticket
 * of its slot the peer is a stranger — counted, never answered); then a
 * hello with a fresh challenge; one attest message; then either a refusal
 * (and nothing else) or the client certificate and the signed bundle-key
 * message. Every decision goes to the decision sink (the journal).
 */
import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import type net from 'node:net';
import tls from 'node:tls';
import type { AttestationPolicy } from '../../attestation/policy.js';
import type { Claims, Collateral } from '../../attestation/verifier.js';
import { masterSign } from '../../crypto/master-key.js';
import type { RunCa } from '../../crypto/run-ca.js';
import { streamChannel } from '../../protocol/channel.js';
import { dispatch, type Handlers } from '../../protocol/dispatch.js';
import { ProtocolError } from '../../protocol/protocol-error.js';
import { MAX_FRAME_PROVISIONING, validateProvisionerToBroker, type AttestMsg, type BrokerToProvisioner, type ProvisionerToBroker } from '../../protocol/wcpac.js';
import { SIM_WARNING } from '../../tee/sim/index.js';
import { bundleKeyMessage, LABEL_BUNDLE_KEY, wrapKey } from '../../protocol/wcpac-crypto.js';
import { claimsDetails } from '../receipt/claims.js';
import { NO_TEE } from '../receipt/model.js';
import { Challenges } from './challenges.js';
import { clockSkewProblem } from '../../protocol/clock-skew.js';
import { readTicket } from './ticket-gate.js';
import { Tickets } from './tickets.js';
import { StrangerRefusals } from './stranger-refusals.js';
import { forgetFileKeys, type BrokerIdentities, type FileOrigin } from './file-keys.js';
import { judge } from './judge.js';
import { BrokerRefusal, type AttestedWorker, type ClaimsSummary, type DecisionSink, type ExpectedSlot } from './types.js';

export interface BrokerOptions {
  readonly runId: string;
  readonly master: { readonly signingKey: KeyObject; readonly signingPublicKey: KeyObject };
  readonly runCa: RunCa;
  readonly policy: AttestationPolicy;
  /** E.g. the sim root key of the run; vendor collateral. */
  readonly collateral: Collateral;
  /** The encrypted executor bundle's SHA-256 and its 32-byte key. */
  readonly bundle: { readonly sha256: Uint8Array; readonly key: Uint8Array };
  /** Identities that unwrap file keys, each for its own files only (§16.3): the broker identity (owner inputs), the run identity (intermediates). */
  readonly identities: BrokerIdentities;
  readonly record: DecisionSink;
  readonly challengeTtlMs?: number;
  /**
   * From TCP connect to the attest message, TLS handshake included: an
   * absolute deadline that no amount of trickled bytes extends (default:
   * the challenge lifetime). See docs/protocol.md "Framing and limits".
   */
  readonly handshakeDeadlineMs?: number;
  /** At most one journal line per this interval for unauthenticated peers' protocol refusals (default 60 s). */
  readonly refusalLogIntervalMs?: number;
  /** The master's clock: challenges, the time in the hello, certificates (default: the system clock). */
  readonly now?: () => Date;
  /**
   * The time evidence and its collateral are judged at (default: `now`). Only
   * tests that verify recorded evidence at its recorded time set it apart
   * from the clock the hello tells workers.
   */
  readonly verifyAt?: () => Date;
}

export const fingerprint = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export function summarise(c: Claims): ClaimsSummary {
  return { platform: c.platform, measurement: c.measurement, debug: c.debug, tcbStatus: c.tcbStatus, simulated: c.platform === 'sim', details: claimsDetails(c) };
}

export class KeyBroker {
  readonly expected = new Map<string, ExpectedSlot>();
  readonly workers = new Map<string, AttestedWorker>();
  /** File id -> recorded ciphertext SHA-256 (hex). */
  readonly hashes = new Map<string, string>();
  /** File id -> where the master says it came from; decides the one identity that unwraps it (§16.3). */
  readonly origins = new Map<string, FileOrigin>();
  /** Worker slot -> step attempts assigned to it. */
  readonly assignments = new Map<string, Set<string>>();
  epoch = 1;
  /** The executor port (§9) sent to provisioned workers; set once the ExecServer listens. */
  execPort: number | undefined = undefined;
  readonly #challenges: Challenges;
  /** §3a: one live launch ticket per launched slot not yet provisioned. */
  readonly tickets = new Tickets();
  /** Protocol refusals of unauthenticated provisioning peers: counted, journalled at most once per interval. */
  readonly strangerRefusals: StrangerRefusals;
  /** Open provisioning connections (remote address:port) -> the timer that ends them at the deadline, and whether their attest arrived. */
  readonly #deadlines = new Map<string, { readonly timer: NodeJS.Timeout; attested: boolean }>();
  readonly #waiters = new Map<string, { resolve: (w: AttestedWorker) => void; reject: (e: Error) => void }[]>();
  #server: tls.Server | null = null;
  #connections = 0;
  readonly #sockets = new Set<tls.TLSSocket>();
  readonly #revokeListeners: ((slot: string, serial: string) => void)[] = [];

  private constructor(readonly opts: BrokerOptions) {
    this.#challenges = new Challenges(opts.challengeTtlMs ?? 60_000, () => this.now().getTime());
    this.strangerRefusals = new StrangerRefusals(opts.record, opts.refusalLogIntervalMs ?? 60_000, () => this.now().getTime());
  }

  get handshakeDeadlineMs(): number {
    return this.opts.handshakeDeadlineMs ?? this.opts.challengeTtlMs ?? 60_000;
  }

  /** Challenges issued on connections still open and not yet used. */
  get pendingChallenges(): number {
    return this.#challenges.size;
  }

  /** Challenges issued in all (only ever after a valid launch ticket, §3a). */
  get challengesIssued(): number {
    return this.#challenges.issued;
  }

  now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  /** Starts the TLS server on `host` and the first free port of `port` (0: any; or a range, §"advertise"). */
  static async start(opts: BrokerOptions, host = '127.0.0.1', port: number | readonly [number, number] = 0): Promise<KeyBroker> {
    const b = new KeyBroker(opts);
    const creds = await opts.runCa.serverCredentials();
    const server = tls.createServer({ cert: creds.certChainPem, key: creds.keyPem, minVersion: 'TLSv1.3', handshakeTimeout: b.handshakeDeadlineMs }, (s) => b.#onConnection(s));
    server.on('connection', (raw: net.Socket) => b.#startDeadline(raw));
    // A failed handshake is a stranger too: counted, at most one journal line per interval.
    server.on('tlsClientError', (e) => b.strangerRefusals.note('provisioning', { reason: 'tls-handshake', message: `the TLS handshake failed: ${e.message}` }));
    await listenOn(server, host, port);
    b.#server = server;
    return b;
  }

  get address(): { readonly host: string; readonly port: number } {
    const a = this.#server?.address();
    if (!a || typeof a === 'string') throw new Error('the broker is not listening');
    return { host: a.address, port: a.port };
  }

  /** A slot the master launches (before its provisioner connects): its launch ticket (§3a), for the provisioner's environment. */
  expect(slot: ExpectedSlot): string {
    this.expected.set(slot.slot, slot);
    return this.tickets.issue(slot.slot);
  }

  /** The slot's launch was abandoned (failed, timed out, exited before it was ready): its ticket admits nobody any more. */
  abandon(slot: string): void {
    this.tickets.withdraw(slot);
  }

  /** Resolves when `slot` is attested and provisioned; rejects when its attestation is refused. */
  waitAttested(slot: string): Promise<AttestedWorker> {
    const w = this.workers.get(slot);
    if (w) return Promise.resolve(w);
    return new Promise((resolve, reject) => {
      const list = this.#waiters.get(slot) ?? [];
      list.push({ resolve, reject });
      this.#waiters.set(slot, list);
    });
  }

  #settle(slot: string | undefined, w: AttestedWorker | Error): void {
    if (slot === undefined || !this.expected.has(slot)) return;
    for (const x of this.#waiters.get(slot) ?? []) (w instanceof Error ? x.reject(w) : x.resolve(w));
    this.#waiters.delete(slot);
  }

  /**
   * One absolute deadline per provisioning connection, from TCP connect
   * (before TLS): its attest message must have arrived by then, and the
   * connection ends then whatever it is doing. Trickled bytes do not extend it.
   */
  #startDeadline(raw: net.Socket): void {
    const key = `${raw.remoteAddress}:${raw.remotePort}`;
    const timer = setTimeout(() => {
      const d = this.#deadlines.get(key);
      this.#deadlines.delete(key);
      if (d?.attested !== true) this.strangerRefusals.note('provisioning', new ProtocolError('handshake-deadline', `no attest message within ${this.handshakeDeadlineMs} ms of connecting`));
      raw.destroy();
    }, this.handshakeDeadlineMs);
    timer.unref();
    this.#deadlines.set(key, { timer, attested: false });
    raw.once('close', () => this.#endDeadline(key));
  }

  #endDeadline(key: string): void {
    clearTimeout(this.#deadlines.get(key)?.timer);
    this.#deadlines.delete(key);
  }

  #onConnection(socket: tls.TLSSocket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    // §3a: nothing is sent, issued or verified before the live ticket of a launched slot.
    readTicket(socket, {
      onRefuse: (e) => {
        this.strangerRefusals.note('provisioning', e);
        socket.destroy();
      },
      onTicket: (m) => {
        if (!this.tickets.redeem(m.slot, m.ticket)) {
          this.strangerRefusals.note('provisioning', { reason: 'ticket-refused', message: 'a launch ticket that is not the live ticket of the slot it names (unknown, spent, withdrawn, or another slot\'s)' });
          return void socket.destroy();
        }
        this.#provision(socket, m.slot);
        socket.resume();
      },
    });
  }

  /** §4–§6 for a connection that presented the live ticket of `slot`. */
  #provision(socket: tls.TLSSocket, slot: string): void {
    const connection = ++this.#connections;
    const deadlineKey = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.on('close', () => this.#challenges.release(connection));
    // Not yet attested: small frames, a schema, and refusals that only add to a rate-limited counter.
    const channel = streamChannel<BrokerToProvisioner, ProvisionerToBroker>(socket, socket, {
      validate: validateProvisionerToBroker,
      maxFrame: MAX_FRAME_PROVISIONING,
      name: 'provisioning port',
      onRefuse: (e) => this.strangerRefusals.note('provisioning', e),
    });
    let used = false;
    const challenge = this.#challenges.issue(connection);
    const time = this.now().getTime();
    channel.send({ type: 'hello', version: 1, runId: this.opts.runId, challenge: challenge.toString('base64'), masterKey: this.opts.master.signingPublicKey.export({ type: 'spki', format: 'der' }).toString('base64'), time });
    const handlers: Handlers<ProvisionerToBroker> = {
      attest: (msg) => {
        if (used) return void channel.close();
        used = true;
        const d = this.#deadlines.get(deadlineKey);
        if (d) d.attested = true;
        void this.#attest(msg, connection, slot).then(
          (reply) => {
            channel.send(reply);
            socket.end();
          },
          () => socket.destroy(),
        );
      },
      // §4: the worker's clock is too far off; said once for its slot (a ticketed connection), then it is gone.
      'clock-skew': (msg) => {
        if (used) return void channel.close();
        used = true;
        const problem = clockSkewProblem(time, msg.time, `the clock of worker ${slot}'s host`) ?? `the clock of worker ${slot}'s host is within the tolerated skew, yet its provisioner said it is not`;
        const deployment = this.expected.get(slot)?.deployment;
        this.opts.record({ type: 'attestation', decision: 'refused', slot, ...(deployment !== undefined ? { deployment } : {}), reason: 'clock-skew', message: problem });
        this.#settle(slot, new BrokerRefusal('clock-skew', `worker ${slot}${deployment !== undefined ? ` (deployment ${deployment})` : ''}: ${problem}`));
        channel.close();
      },
    };
    channel.onMessage((m) => dispatch(handlers, m, () => socket.destroy()));
  }

  async #attest(msg: AttestMsg, connection: number, ticketSlot: string): Promise<BrokerToProvisioner> {
    const slotName = typeof msg.slot === 'string' ? msg.slot : undefined;
    const expected = slotName !== undefined ? this.expected.get(slotName) : undefined;
    const deployment = expected?.deployment;
    // Recorded evidence (a deployment's verifyAt:, or the broker's): judged at its time, and journalled as such.
    const verifyAt = expected?.verifyAt !== undefined ? () => expected.verifyAt as Date : this.opts.verifyAt;
    const recorded = verifyAt !== undefined ? { recorded: true as const } : {};
    try {
      if (slotName !== ticketSlot) throw new BrokerRefusal('ticket-slot', `the attest message names slot ${slotName ?? '?'}, but the connection's launch ticket is slot ${ticketSlot}'s`);
      const v = await judge(
        {
          runId: this.opts.runId,
          policy: this.opts.policy,
          collateral: expected?.collateral ?? this.opts.collateral,
          challenges: this.#challenges,
          expected: this.expected,
          attested: new Set(this.workers.keys()),
          now: () => verifyAt?.() ?? this.now(),
        },
        msg,
        connection,
      );
      const clientCertDer = await this.opts.runCa.issueClientCert(v.identitySpki, v.slot.slot, this.now());
      const wrapped = wrapKey(v.x25519, LABEL_BUNDLE_KEY, this.opts.bundle.key);
      const signature = masterSign(this.opts.master.signingKey, bundleKeyMessage(this.opts.runId, v.slot.slot, v.challenge, this.opts.bundle.sha256, wrapped));
      const worker: AttestedWorker = { ...v.slot, claims: v.claims, ...(v.unattested !== undefined ? { unattested: v.unattested } : {}), x25519: v.x25519, identitySpki: v.identitySpki, clientCertDer, epoch: this.epoch, alive: true };
      this.workers.set(v.slot.slot, worker);
      this.opts.record({
        type: 'attestation',
        decision: 'accepted',
        slot: v.slot.slot,
        deployment: v.slot.deployment,
        ...(v.claims !== null ? { claims: summarise(v.claims) } : {}),
        keys: { x25519: fingerprint(v.x25519), identity: fingerprint(v.identitySpki) },
        clientCertSerial: new X509Certificate(Buffer.from(clientCertDer)).serialNumber,
        bundleSha256: Buffer.from(this.opts.bundle.sha256).toString('hex'),
        ...(v.claims?.platform === 'sim' ? { warning: SIM_WARNING } : {}),
        ...(v.unattested !== undefined ? { unattested: v.unattested, warning: NO_TEE } : {}),
        ...recorded,
      });
      this.#settle(v.slot.slot, worker);
      return {
        type: 'provisioned',
        clientCert: Buffer.from(clientCertDer).toString('base64'),
        bundleSha256: Buffer.from(this.opts.bundle.sha256).toString('hex'),
        wrappedKey: wrapped.toString('base64'),
        signature: signature.toString('base64'),
        ...(this.execPort !== undefined ? { execPort: this.execPort } : {}),
      };
    } catch (err) {
      if (!(err instanceof BrokerRefusal)) throw err;
      this.opts.record({ type: 'attestation', decision: 'refused', ...(slotName !== undefined ? { slot: slotName } : {}), ...(deployment !== undefined ? { deployment } : {}), reason: err.reason, message: err.message, ...recorded });
      this.#settle(slotName, err);
      return { type: 'refused', reason: err.reason };
    }
  }

  /** Called after each revocation with the slot and its certificate's serial (e.g. to tell the other workers' data ports, §15.4). */
  onRevoke(listener: (slot: string, serial: string) => void): void {
    this.#revokeListeners.push(listener);
  }

  /** A worker declared dead: its certificate is revoked and its epoch closed; it gets no more keys. */
  revoke(slot: string, reason: string): void {
    const w = this.workers.get(slot);
    if (!w || !w.alive) return; // once: a forger revoked by its sealed channel is then lost by the pool (§16.4)
    w.alive = false;
    this.opts.runCa.revoke(w.clientCertDer);
    this.assignments.delete(slot);
    this.epoch += 1;
    this.opts.record({ type: 'worker-revoked', worker: slot, epoch: w.epoch, reason });
    const serial = new X509Certificate(Buffer.from(w.clientCertDer)).serialNumber;
    for (const l of this.#revokeListeners) l(slot, serial);
  }

  async close(): Promise<void> {
    const s = this.#server;
    this.#server = null;
    for (const sock of this.#sockets) sock.destroy();
    for (const key of [...this.#deadlines.keys()]) this.#endDeadline(key);
    this.tickets.clear();
    for (const [slot, list] of this.#waiters) for (const w of list) w.reject(new Error(`the key broker closed before slot ${slot} was attested`));
    this.#waiters.clear();
    forgetFileKeys(this); // §8.2
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

/**
 * Listens on `host` and the first free port of `port` (a number, 0 for any,
 * or an inclusive range): several runs on one machine share a range.
 */
export async function listenOn(server: net.Server, host: string, port: number | readonly [number, number]): Promise<void> {
  const [first, last] = typeof port === 'number' ? [port, port] : port;
  for (let p = first; ; p++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(p, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || p >= last) {
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE' && first !== last) throw new Error(`every port of ${host}:${first}-${last} is in use (other runs or programs); widen the range of \`advertise:\` in sealflow.yaml`);
        throw e;
      }
    }
  }
}
