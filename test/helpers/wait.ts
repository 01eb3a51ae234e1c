/** Waiting in tests for a condition that must come, never for a fixed time. */

/**
 * How long a test waits for a condition that must come (a step has begun
 * writing, a process is gone, a decision is recorded): generous, so that a
 * machine several times slower than this one only makes the test slower,
 * never failing.
 */
export const PATIENCE_MS = 60_000;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `pred` holds, polling; false if it still does not after `ms`. */
export async function until(pred: () => boolean, ms: number = PATIENCE_MS): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    await sleep(25);
  }
  return true;
}

/** Whether a process exists (a zombie still does: wait with `until(() => !alive(pid))`). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
