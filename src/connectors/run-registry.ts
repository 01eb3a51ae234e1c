/**
 * What a remote connector prepares once per run and deployment (a host's
 * connection and run directory, a cluster's poller and relays), shared by
 * the run's workers and closed with the run.
 */
export class RunRegistry<T> {
  readonly #runs = new Map<string, Map<string, Promise<T>>>();

  /** Run `runId`'s preparations by key, created on first use. */
  of(runId: string): Map<string, Promise<T>> {
    let byKey = this.#runs.get(runId);
    if (!byKey) this.#runs.set(runId, (byKey = new Map()));
    return byKey;
  }

  /** Forgets run `runId` and closes each of its preparations that succeeded, all at once. */
  async close(runId: string, closeOne: (prepared: T) => Promise<void>): Promise<void> {
    const byKey = this.#runs.get(runId);
    if (!byKey) return;
    this.#runs.delete(runId);
    await Promise.all(
      [...byKey.values()].map(async (p) => {
        const prepared = await p.catch(() => null);
        if (prepared) await closeOne(prepared);
      }),
    );
  }
}
