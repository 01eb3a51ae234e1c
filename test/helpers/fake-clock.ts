/**
 * A fake clock for timing tests: replaces the global setTimeout/setInterval
 * (and their clear functions) and Date.now, so that code measuring silence
 * or deadlines (heartbeat watchdogs) sees exactly the time the test advances,
 * whatever the machine's speed or load. (node:test's mock.timers in Node 20
 * keeps an interval running that clears itself from its own callback, which
 * is what a watchdog does: hence this small one.)
 */

interface FakeTimer {
  readonly id: number;
  due: number;
  readonly every: number | null;
  readonly fn: () => void;
  ref(): FakeTimer;
  unref(): FakeTimer;
  hasRef(): boolean;
  refresh(): FakeTimer;
  [Symbol.toPrimitive](): number;
}

export interface FakeClock {
  now(): number;
  /** Advances the clock by `ms`, running every timer that falls due, in order of due time. */
  tick(ms: number): void;
  /** Puts the real timers and Date.now back. */
  uninstall(): void;
}

export function installFakeClock(start = 1_000_000): FakeClock {
  const real = { setTimeout: globalThis.setTimeout, setInterval: globalThis.setInterval, clearTimeout: globalThis.clearTimeout, clearInterval: globalThis.clearInterval, now: Date.now };
  let now = start;
  let nextId = 1;
  const timers = new Map<number, FakeTimer>();
  const make = (fn: () => void, ms: number | undefined, every: boolean): FakeTimer => {
    const delay = Math.max(1, Math.floor(ms ?? 0));
    const t: FakeTimer = {
      id: nextId++,
      due: now + delay,
      every: every ? delay : null,
      fn,
      ref: () => t,
      unref: () => t,
      hasRef: () => true,
      refresh: () => ((t.due = now + delay), t),
      [Symbol.toPrimitive]: () => t.id,
    };
    timers.set(t.id, t);
    return t;
  };
  const clear = (t: unknown) => {
    if (t === undefined || t === null) return;
    timers.delete(typeof t === 'number' ? t : (t as FakeTimer).id);
  };
  const g = globalThis as unknown as Record<string, unknown>;
  g['setTimeout'] = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => make(() => fn(...args), ms, false);
  g['setInterval'] = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => make(() => fn(...args), ms, true);
  g['clearTimeout'] = clear;
  g['clearInterval'] = clear;
  Date.now = () => now;
  return {
    now: () => now,
    tick(ms: number) {
      const end = now + ms;
      for (;;) {
        let first: FakeTimer | null = null;
        for (const t of timers.values()) if (t.due <= end && (!first || t.due < first.due || (t.due === first.due && t.id < first.id))) first = t;
        if (!first) break;
        now = first.due;
        if (first.every === null) timers.delete(first.id);
        else first.due += first.every;
        first.fn();
      }
      now = end;
    },
    uninstall() {
      Object.assign(globalThis, { setTimeout: real.setTimeout, setInterval: real.setInterval, clearTimeout: real.clearTimeout, clearInterval: real.clearInterval });
      Date.now = real.now;
    },
  };
}
