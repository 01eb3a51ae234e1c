/**
 * Where a consumer gets each input ciphertext (docs/protocol.md §15.1): the
 * master remembers which attested worker produced which file id and where
 * each live worker's data port listens (from its `ready`), names the
 * producer as the source of an input when it is another live worker, and
 * keeps every live worker's revocation set current: when the key broker
 * revokes a worker, every other one gets `revoked {serials}` (the whole
 * set), and a worker that joins later gets it on joining.
 */
import type { KeyBroker } from './broker/broker.js';
import type { DataAddress, DataSource, RevokedMsg } from '../protocol/data-port.js';

interface Joined {
  readonly address: DataAddress | undefined;
  readonly send: (m: RevokedMsg) => void;
}

export class DataSources {
  readonly #joined = new Map<string, Joined>();
  /** File id -> the slot that produced it. */
  readonly #producer = new Map<string, string>();
  /** File id -> the id its producer offers it under, where that differs (a host without the master's disk, §15.8), and that host. */
  readonly #offeredAs = new Map<string, { readonly slot: string; readonly offered: string; readonly host: object }>();

  constructor(private readonly broker: KeyBroker) {
    broker.onRevoke((slot) => this.#revoked(slot));
  }

  /** A worker said `ready`: `address` is its data port (none if it opened none); `send` reaches it on its channel. */
  join(slot: string, address: DataAddress | undefined, send: (m: RevokedMsg) => void): void {
    this.#joined.set(slot, { address, send });
    const serials = this.broker.opts.runCa.revokedSerials;
    if (serials.length > 0) send({ type: 'revoked', serials });
  }

  /** The worker's channel closed: it serves nothing any more. */
  leave(slot: string): void {
    this.#joined.delete(slot);
  }

  /** `slot` produced the ciphertext recorded under `id`. */
  produced(slot: string, id: string): void {
    this.#producer.set(id, slot);
  }

  /**
   * Worker `slot` offers the file the master records as `id` under
   * `offered`: its own, opaque path on `host` (a token: the host's stager).
   * Used only while `slot` is the file's recorded producer (a refused or
   * superseded attempt's offer never is).
   */
  offeredAs(slot: string, id: string, offered: string, host: object): void {
    this.#offeredAs.set(id, { slot, offered, host });
  }

  #offer(id: string): { readonly offered: string; readonly host: object } | undefined {
    const o = this.#offeredAs.get(id);
    return o !== undefined && this.#producer.get(id) === o.slot ? o : undefined;
  }

  /** Where the ciphertext recorded as `id` already is on `host` (its producer kept it there), or undefined. */
  onHost(id: string, host: object): string | undefined {
    const o = this.#offer(id);
    return o?.host === host ? o.offered : undefined;
  }

  /** The producer of `id` if it is another live worker with a data port; otherwise undefined (the master's copy). */
  sourceFor(id: string, consumer: string): DataSource | undefined {
    const slot = this.#producer.get(id);
    if (slot === undefined || slot === consumer) return undefined;
    // §15.7: a deployment configured for the master's copy neither pulls nor is pulled from.
    if (this.broker.expected.get(slot)?.transfers === 'master' || this.broker.expected.get(consumer)?.transfers === 'master') return undefined;
    const address = this.#joined.get(slot)?.address;
    if (!address || this.broker.workers.get(slot)?.alive !== true) return undefined;
    const offered = this.#offer(id)?.offered;
    return { slot, host: address.host, port: address.port, ...(offered !== undefined ? { id: offered } : {}) };
  }

  #revoked(slot: string): void {
    this.#joined.delete(slot);
    for (const [id, s] of this.#producer) if (s === slot) (this.#producer.delete(id), this.#offeredAs.delete(id));
    const m: RevokedMsg = { type: 'revoked', serials: this.broker.opts.runCa.revokedSerials };
    for (const j of this.#joined.values()) j.send(m);
  }
}
