/**
 * One-time challenges (docs/protocol.md §4, §6): issued per connection,
 * valid for a bounded time, dropped on first use whatever the outcome, and
 * dropped when their connection closes unused. The map holds at most one
 * entry per open provisioning connection.
 */
import { randomBytes } from 'node:crypto';
import { BrokerRefusal } from './types.js';

interface Entry {
  readonly connection: number;
  readonly issuedAt: number;
}

export class Challenges {
  /** Challenge (hex) -> its connection and issue time. */
  readonly #entries = new Map<string, Entry>();
  /** Connection -> its challenge (hex), to drop it when the connection closes. */
  readonly #byConnection = new Map<number, string>();
  /** Challenges issued in all (tests count them: none without a launch ticket, §3a). */
  issued = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(connection: number): Buffer {
    const c = randomBytes(32);
    this.issued += 1;
    const key = c.toString('hex');
    this.#entries.set(key, { connection, issuedAt: this.now() });
    this.#byConnection.set(connection, key);
    return c;
  }

  /**
   * Checks and drops `challenge` for `connection`; throws a BrokerRefusal if
   * unusable. A challenge already used (replayed evidence) or whose
   * connection closed is no longer known: `challenge-unknown`.
   */
  consume(challenge: Uint8Array, connection: number): void {
    const key = Buffer.from(challenge).toString('hex');
    const e = this.#entries.get(key);
    if (!e) throw new BrokerRefusal('challenge-unknown', 'the challenge is not one this master issued on an open connection (never issued, already used, or its connection closed)');
    this.#drop(key, e.connection);
    if (e.connection !== connection) throw new BrokerRefusal('challenge-mismatch', 'the challenge was issued on another connection');
    if (this.now() - e.issuedAt > this.ttlMs) throw new BrokerRefusal('challenge-expired', `the challenge is older than ${this.ttlMs} ms`);
  }

  /** The connection closed: its challenge, if unused, is dropped. */
  release(connection: number): void {
    const key = this.#byConnection.get(connection);
    if (key !== undefined) this.#drop(key, connection);
  }

  /** Challenges issued and neither used nor released. */
  get size(): number {
    return this.#entries.size;
  }

  #drop(key: string, connection: number): void {
    this.#entries.delete(key);
    if (this.#byConnection.get(connection) === key) this.#byConnection.delete(connection);
  }
}
