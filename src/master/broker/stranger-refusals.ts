/**
 * Protocol refusals of peers that have not authenticated (docs/protocol.md
 * "Framing and limits"): counted, and journalled at most once per interval
 * with how many there were, so that strangers cannot fill the journal or
 * the disk — or make the master write for each of them. This covers the
 * provisioning port (no or a wrong launch ticket, a failed TLS handshake,
 * a protocol error before the attest message) and the executor port (no
 * valid run certificate). Authenticated peers' refusals are journalled one
 * by one elsewhere (exec-server.ts).
 */
import type { DecisionSink } from './types.js';

/** Why a stranger was turned away: a ProtocolError, a missing or wrong launch ticket, a failed TLS handshake, no valid run certificate. */
export interface StrangerRefusal {
  readonly reason: string;
  readonly message: string;
}

export class StrangerRefusals {
  /** Refusals in all, and by reason (for status displays and tests). */
  total = 0;
  readonly byReason = new Map<string, number>();
  #lastRecorded: number | null = null;
  #suppressed = 0;

  constructor(
    private readonly record: DecisionSink,
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  note(channel: 'provisioning' | 'execution', err: StrangerRefusal): void {
    this.total += 1;
    this.byReason.set(err.reason, (this.byReason.get(err.reason) ?? 0) + 1);
    const t = this.now();
    if (this.#lastRecorded !== null && t - this.#lastRecorded < this.intervalMs) {
      this.#suppressed += 1;
      return;
    }
    this.record({ type: 'protocol-refusal', channel, reason: err.reason, message: `an unauthenticated peer: ${err.message}`, suppressed: this.#suppressed, total: this.total });
    this.#lastRecorded = t;
    this.#suppressed = 0;
  }
}
