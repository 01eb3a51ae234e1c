/**
 * One run's master (DESIGN.md, "The path of one run", steps 3–6): the
 * engine's run entry point creates it with the run's settings and hands it
 * to whoever needs the master's side of WCPAC — the worker pool (attested
 * workers), admission ahead of need, encrypted resume, the scheduler
 * (revealing sealed values). Nothing about a run lives in module state: two
 * runs in one process have two of these.
 *
 * The attested session (key broker, executor port, run CA, sim root, sealed
 * bundle) is opened on first use — a plain run never opens one. Broker
 * decisions made before the run's journal exists (workers start while the
 * run is validated) are buffered until `attachJournal`.
 */
import type { Identity } from '../crypto/types.js';
import type { PortValue, TeeRequirement } from '../workflow/model.js';
import { sealablePaths } from '../protocol/sealed-values.js';
import type { Advertise } from './advertise.js';
import type { BrokerDecision } from './broker/types.js';
import { revealSealed } from './sealed-values.js';
import type { AttestedSession, AttestedSettings } from './session.js';

export interface MasterSettings {
  readonly runId: string;
  /** The run directory: if it holds run secrets (a resumed encrypted run), the attested session reuses them. */
  readonly runRoot?: string;
  /** The owner's recipient (`age1…`) final outputs are encrypted to; default: the local owner identity. */
  readonly owner?: string;
  /** Step `label` (`step` or `step[i]`) -> its tee requirement (default: none). */
  readonly teeOf?: (label: string) => TeeRequirement;
  /** Warnings and per-worker lines (default: stderr). */
  readonly warn?: (m: string) => void;
  /** Where the broker and executor ports listen, the address workers dial (default loopback, any free port). */
  readonly advertise?: Advertise;
  /** Inputs already on a deployment's hosts, by id (`<deployment>:<path>`), from signed data manifests. */
  readonly data?: AttestedSettings['data'];
}

/** Decisions of a run, buffered until its journal is attached. */
class DecisionBuffer {
  #pending: BrokerDecision[] = [];
  #sink: ((d: BrokerDecision) => void) | null = null;
  record(d: BrokerDecision): void {
    if (!this.#sink) return void this.#pending.push(d);
    try {
      this.#sink(d);
    } catch {
      // the journal is closed (the run has finished); nothing is released after that
    }
  }
  attach(sink: (d: BrokerDecision) => void): void {
    this.#sink = sink;
    const p = this.#pending;
    this.#pending = [];
    for (const d of p) this.record(d);
  }
}

/** Inputs admitted ahead of need at once (preadmit). */
const PREADMIT_LANES = 4;

export class MasterSession {
  readonly runId: string;
  readonly #settings: MasterSettings;
  readonly #journal = new DecisionBuffer();
  #opening: Promise<AttestedSession> | null = null;
  #open: AttestedSession | null = null;
  #closed = false;

  constructor(settings: MasterSettings) {
    this.runId = settings.runId;
    this.#settings = settings;
  }

  get warn(): (m: string) => void {
    return this.#settings.warn ?? ((m) => process.stderr.write(m));
  }

  /** The run's attested session, opened on first use. */
  attested(): Promise<AttestedSession> {
    // Closed before any session opened (its workers failed to start): a late caller (preadmit) must not open one
    // whose ports nothing would close.
    if (this.#closed && !this.#opening) return Promise.reject(new Error(`the master of run ${this.runId} is closed`));
    if (!this.#opening) {
      const s = this.#settings;
      // Loaded with the first attested session: a plain run never compiles the broker, the executor port or the run CA.
      this.#opening = import('./session.js').then(({ AttestedSession }) => AttestedSession.open({
        runId: s.runId,
        ...(s.runRoot !== undefined ? { runRoot: s.runRoot } : {}),
        ...(s.owner !== undefined ? { owner: s.owner } : {}),
        ...(s.teeOf !== undefined ? { teeOf: s.teeOf } : {}),
        ...(s.advertise !== undefined ? { advertise: s.advertise } : {}),
        ...(s.data !== undefined ? { data: s.data } : {}),
        warn: this.warn,
        record: (d) => this.#journal.record(d),
      }));
      this.#opening.then(
        (open) => (this.#open = open),
        () => undefined, // reported to whoever started the workers
      );
    }
    return this.#opening;
  }

  /** The attested session if one was opened (the run has attested workers), else undefined. */
  opened(): Promise<AttestedSession> | undefined {
    return this.#opening ?? undefined;
  }

  /** Called by the engine once the run's journal exists: buffered and later broker decisions go to `sink`. */
  attachJournal(sink: (d: BrokerDecision) => void): void {
    this.#journal.attach(sink);
  }

  /**
   * `v` with every sealed value revealed with the run identity (§10.2), in
   * this process's memory only: only workers make sealed values, so never
   * with the broker identity (§16.3).
   */
  reveal<T>(v: T): T {
    const open = this.#open;
    const ids: readonly Identity[] | null = open && !open.closed ? [open.secrets.runIdentity] : null;
    return revealSealed(this.runId, ids, v);
  }

  /**
   * Admission ahead of need (docs/protocol.md §10): the run's file and
   * directory inputs are known before any worker is ready, so the master
   * starts encrypting them to the broker (or hashing an age input) while the
   * workers are being provisioned and attested. The assignment then finds
   * them admitted (one admission per file). A failure here is not reported:
   * the assignment admits the file again and fails the step with the reason.
   */
  preadmit(inputs: Readonly<Record<string, PortValue>>): void {
    const paths = [...new Set(sealablePaths(inputs))];
    if (paths.length === 0) return;
    this.attested().then(
      (s) => {
        // A few at a time: each admission runs an encryption pipeline with its own buffers. An assignment that needs
        // a file not yet admitted admits it at once (one admission per file either way).
        let next = 0;
        const lane = async (): Promise<void> => {
          while (next < paths.length) await s.admit(paths[next++] as string).catch(() => undefined);
        };
        for (let i = 0; i < PREADMIT_LANES; i++) void lane();
      },
      () => undefined, // the workers' start reports it
    );
  }

  /** Closes the attested session if one is open (the worker pool, once every worker is gone). */
  async close(): Promise<void> {
    this.#closed = true;
    const s = this.#opening;
    if (s) await (await s.catch(() => null))?.close();
  }
}
