/**
 * Launch tickets (docs/protocol.md §3a): one random, single-use ticket per
 * launched slot. A ticket is not a secret from the worker's host (it sits
 * in the worker's environment there); it only gates work: the master issues
 * no challenge, verifies no evidence and allocates nothing for a
 * provisioning connection until it has presented the live ticket of the
 * slot it names. A ticket is spent when presented, and withdrawn when its
 * slot's launch is abandoned or the broker closes.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 bytes from the CSPRNG (256 bits), base64url without padding: 43 characters. */
const TICKET_BYTES = 32;
export const TICKET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export class Tickets {
  /** Slot -> its live ticket's bytes. */
  readonly #live = new Map<string, Buffer>();
  /** Tickets issued in all (tests and status). */
  issued = 0;

  /** A fresh ticket for `slot`; any earlier ticket of the slot is withdrawn. */
  issue(slot: string): string {
    const t = randomBytes(TICKET_BYTES);
    this.#live.set(slot, t);
    this.issued += 1;
    return t.toString('base64url');
  }

  /**
   * True if `ticket` is the live ticket of `slot`, which it then spends.
   * Compared in constant time (the slot name is not secret; the ticket is
   * compared as bytes of equal length, whatever its content).
   */
  redeem(slot: string, ticket: string): boolean {
    const live = this.#live.get(slot);
    if (live === undefined || !TICKET_PATTERN.test(ticket)) return false;
    const given = Buffer.from(ticket, 'base64url');
    if (given.length !== live.length || !timingSafeEqual(given, live)) return false;
    this.#live.delete(slot);
    return true;
  }

  /** The slot's launch was abandoned (it failed, timed out or exited before it was ready): its ticket no longer admits anyone. */
  withdraw(slot: string): void {
    this.#live.delete(slot);
  }

  /** Tickets issued and neither spent nor withdrawn. */
  get size(): number {
    return this.#live.size;
  }

  clear(): void {
    this.#live.clear();
  }
}
