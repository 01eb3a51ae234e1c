/**
 * One-time challenges (docs/protocol.md §4, §6): issued per connection,
 * valid for a bounded time, burned on first use whatever the outcome.
 */
import { randomBytes } from 'node:crypto';
import { BrokerRefusal } from './types.js';

interface Entry {
  readonly connection: number;
  readonly issuedAt: number;
  burned: boolean;
}

export class Challenges {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(connection: number): Buffer {
    const c = randomBytes(32);
    this.#entries.set(c.toString('hex'), { connection, issuedAt: this.now(), burned: false });
    return c;
  }

  /** Checks and burns `challenge` for `connection`; throws a BrokerRefusal if unusable. */
  consume(challenge: Uint8Array, connection: number): void {
    const e = this.#entries.get(Buffer.from(challenge).toString('hex'));
    if (!e) throw new BrokerRefusal('challenge-unknown', 'the challenge was not issued by this master');
    if (e.burned) throw new BrokerRefusal('challenge-burned', 'the challenge was already used (replayed evidence)');
    e.burned = true;
    if (e.connection !== connection) throw new BrokerRefusal('challenge-mismatch', 'the challenge was issued on another connection');
    if (this.now() - e.issuedAt > this.ttlMs) throw new BrokerRefusal('challenge-expired', `the challenge is older than ${this.ttlMs} ms`);
  }
}
