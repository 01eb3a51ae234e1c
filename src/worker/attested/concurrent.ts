/**
 * Runs a step's per-file crypto work a few files at a time (docs/protocol.md
 * §10.7): while one file waits on its reads, writes or the crypto pool,
 * another's batches keep the pool's threads busy. Every job is started and
 * settled before this returns — nothing still writes into the attempt's
 * directories afterwards — and the first failure (in list order) is thrown.
 */

/** At most this many files of one step are opened or sealed at once. */
export const FILES_AT_ONCE = 3;

/**
 * Each lane gives the event loop a turn after this many files: small files
 * are handled with synchronous calls (sealed-io.ts), so without it a step
 * with thousands of inputs would run as one chain of microtasks and starve
 * the heartbeat (the master would declare the worker dead).
 */
export const YIELD_EVERY = 16;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function forEachLimited<T, R>(items: readonly T[], job: (item: T, index: number) => Promise<R>, limit = FILES_AT_ONCE): Promise<R[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let done = 1; next < items.length; done++) {
      if (done % YIELD_EVERY === 0) await turn();
      if (next >= items.length) break;
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await job(items[i] as T, i) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return results.map((r) => (r as PromiseFulfilledResult<R>).value);
}
