/**
 * Runs a step's per-file crypto work a few files at a time (docs/protocol.md
 * §10.7): while one file waits on its reads, writes or the crypto pool,
 * another's batches keep the pool's threads busy. Every job is started and
 * settled before this returns — nothing still writes into the attempt's
 * directories afterwards — and the first failure (in list order) is thrown.
 */

/** At most this many files of one step are opened or sealed at once. */
export const FILES_AT_ONCE = 3;

export async function forEachLimited<T, R>(items: readonly T[], job: (item: T, index: number) => Promise<R>, limit = FILES_AT_ONCE): Promise<R[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
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
