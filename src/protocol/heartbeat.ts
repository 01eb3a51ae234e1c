/**
 * Heartbeats (docs/protocol.md §11): liveness in both directions on the
 * execution channel. The master sends `heartbeat` every `intervalMs`; the
 * worker answers each one with a `heartbeat` of the same `seq`. Each side
 * treats *any* message from the other as a sign of life and declares the
 * other gone after `timeoutMs` of silence: the master then declares the
 * worker dead (§12), the worker wipes its scratch and exits. The master's
 * message carries both values, so the worker needs no configuration of its own.
 */
import { int, num, shape, type Check } from './schema.js';

export interface HeartbeatMsg {
  readonly type: 'heartbeat';
  readonly seq: number;
  /** Master → worker only: the master's settings, which the worker's watchdog adopts. */
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
}

/** docs/protocol.md "Framing and limits": the shape every channel checks. */
export const HEARTBEAT_SPEC: Check = shape({ seq: int(0) }, { intervalMs: num, timeoutMs: num });

export interface HeartbeatSettings {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/** Default: a beat a second, dead after 4 s of silence (detected within 5 s). */
export const HEARTBEAT_DEFAULTS: HeartbeatSettings = { intervalMs: 1000, timeoutMs: 4000 };

/** Bounds that keep a misconfiguration from turning heartbeats into a storm or into nothing. */
const MIN_INTERVAL_MS = 50;
const MAX_TIMEOUT_MS = 600_000;

/**
 * The settings from the environment (`SEALFLOW_HEARTBEAT_INTERVAL_MS`,
 * `SEALFLOW_HEARTBEAT_TIMEOUT_MS`), else the defaults. The timeout is at
 * least twice the interval.
 */
export function heartbeatSettings(env: Readonly<Record<string, string | undefined>> = process.env, base: HeartbeatSettings = HEARTBEAT_DEFAULTS): HeartbeatSettings {
  const num = (v: string | undefined, d: number) => {
    const n = v === undefined || v === '' ? NaN : Number(v);
    return Number.isFinite(n) && n > 0 ? n : d;
  };
  return normalise({ intervalMs: num(env['SEALFLOW_HEARTBEAT_INTERVAL_MS'], base.intervalMs), timeoutMs: num(env['SEALFLOW_HEARTBEAT_TIMEOUT_MS'], base.timeoutMs) });
}

export function normalise(s: HeartbeatSettings): HeartbeatSettings {
  const intervalMs = Math.max(MIN_INTERVAL_MS, Math.round(s.intervalMs));
  const timeoutMs = Math.min(MAX_TIMEOUT_MS, Math.max(2 * intervalMs, Math.round(s.timeoutMs)));
  return { intervalMs, timeoutMs };
}

/**
 * Fires `onSilent` once when `touch` has not been called for `timeoutMs`.
 * Checks every `timeoutMs / 4`, so it fires within 1.25 × timeout. Its timer
 * does not keep the process alive.
 */
export class Watchdog {
  #last = Date.now();
  #timer: NodeJS.Timeout | null = null;
  #fired = false;

  constructor(
    private timeoutMs: number,
    private readonly onSilent: (silentMs: number) => void,
  ) {}

  start(): this {
    if (this.#timer || this.#fired) return this;
    this.#last = Date.now();
    this.#timer = setInterval(() => this.#check(), Math.max(10, Math.floor(this.timeoutMs / 4)));
    this.#timer.unref();
    return this;
  }

  get running(): boolean {
    return this.#timer !== null;
  }

  touch(): void {
    this.#last = Date.now();
  }

  /** Adopts a new timeout (the master's), restarting the check. */
  setTimeout(ms: number): void {
    if (ms === this.timeoutMs) return;
    this.timeoutMs = ms;
    if (this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
      const last = this.#last;
      this.start();
      this.#last = last;
    }
  }

  #check(): void {
    const silent = Date.now() - this.#last;
    if (silent < this.timeoutMs) return;
    this.stop();
    this.#fired = true;
    this.onSilent(silent);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
