/**
 * Clock skew between the master and a worker (docs/protocol.md §2, §4).
 * Node built-ins only: the provisioner and the master both use it.
 */

/**
 * How far the master's and a worker's clocks may differ. The run CA
 * backdates every certificate's notBefore by 5 minutes (src/crypto/run-ca.ts);
 * a minute of that is left so that every certificate is valid on every
 * worker, whichever clock is ahead.
 */
export const MAX_CLOCK_SKEW_MS = 4 * 60 * 1000;

/** What is wrong when a worker's clock (`localMs`) is too far from the master's (`masterMs`), or null. */
export function clockSkewProblem(masterMs: number, localMs: number, whose = "this host's clock"): string | null {
  const skew = localMs - masterMs;
  if (Math.abs(skew) <= MAX_CLOCK_SKEW_MS) return null;
  const mins = (Math.abs(skew) / 60_000).toFixed(1);
  return `${whose} is ${mins} min ${skew > 0 ? 'ahead of' : 'behind'} the master's (at most ${MAX_CLOCK_SKEW_MS / 60_000} min is tolerated): the run's certificates would not be valid there. Synchronise the worker host's clock with the master's (NTP: chrony or systemd-timesyncd) and start the run again`;
}
