/**
 * One squeue poll per deployment for all of a run's jobs, however many
 * workers it has: each job subscribes with a callback that hears the job's
 * first state and every change; a job stops being watched once gone.
 * Polling starts at `intervalMs`, grows ×1.5 while nothing changes and ×2
 * after a failed poll, up to `maxIntervalMs`; a change or a new job resets
 * it (a fresh job's start should be seen soon).
 */
import type { SlurmCluster } from './cluster.js';
import type { JobState } from './parse.js';

export interface PollerOptions {
  readonly intervalMs: number;
  readonly maxIntervalMs: number;
  readonly onError: (e: Error) => void;
}

export class JobPoller {
  readonly #subs = new Map<string, (st: JobState) => void>();
  readonly #last = new Map<string, string>();
  #looping = false;
  #wake: (() => void) | undefined;
  #interval: number;

  constructor(
    private readonly cluster: SlurmCluster,
    private readonly o: PollerOptions,
  ) {
    this.#interval = o.intervalMs;
  }

  /** Watches job `id`; returns a function that stops watching it. */
  watch(id: string, onChange: (st: JobState) => void): () => void {
    this.#subs.set(id, onChange);
    this.#interval = this.o.intervalMs;
    this.#wake?.();
    if (!this.#looping) void this.#loop();
    return () => {
      this.#subs.delete(id);
      this.#last.delete(id);
    };
  }

  /** Stops watching every job. */
  stop(): void {
    this.#subs.clear();
    this.#wake?.();
  }

  async #loop(): Promise<void> {
    this.#looping = true;
    try {
      while (this.#subs.size > 0) {
        let states: Map<string, JobState> | undefined;
        try {
          states = await this.cluster.states([...this.#subs.keys()]);
        } catch (e) {
          this.o.onError(e as Error);
          this.#interval = Math.min(this.o.maxIntervalMs, this.#interval * 2);
        }
        let changed = false;
        for (const [id, st] of states ?? []) {
          const cb = this.#subs.get(id);
          if (!cb) continue;
          const key = JSON.stringify(st);
          if (st.kind === 'gone') {
            this.#subs.delete(id);
            this.#last.delete(id);
          } else if (this.#last.get(id) === key) continue;
          else this.#last.set(id, key);
          changed = true;
          cb(st);
        }
        if (states) this.#interval = changed ? this.o.intervalMs : Math.min(this.o.maxIntervalMs, Math.ceil(this.#interval * 1.5));
        if (this.#subs.size === 0) break;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.#interval);
          this.#wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.#wake = undefined;
      }
    } finally {
      this.#looping = false;
    }
  }
}
