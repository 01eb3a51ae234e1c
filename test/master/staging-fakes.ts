/**
 * What the master's staging tests (staging-lost, staging-vacate) drive
 * src/master/staging.ts with: a worker channel the test answers as the
 * worker, a stager whose copies succeed, fail or wait for the test, and the
 * staged channel over both with what it delivered and reported free.
 */
import type { Stager } from '../../src/connectors/connector.js';
import { stagedChannel } from '../../src/master/staging.js';
import type { Channel } from '../../src/protocol/channel.js';
import type { AssignMsg, MasterToWorker, WorkerToMaster } from '../../src/protocol/execution.js';

export interface FakeStagerOptions {
  /** Every input copy fails ('upload cut'). */
  readonly putFails?: boolean;
  /** The copy-back of outputs: done at once (default), fails ('download cut'), or waits for the test to open or cut its gate. */
  readonly getTree?: 'done' | 'fails' | 'gated';
  /** Whether the host's connection lives, asked when a copy failed. */
  readonly connected: () => boolean;
}

export interface Gate {
  open(): void;
  cut(e: Error): void;
}

/** A staged channel of worker `cloud-1` over a fake worker and a fake stager. */
export interface Staged {
  readonly ch: ReturnType<typeof stagedChannel>;
  /** What reached the worker. */
  readonly sent: MasterToWorker[];
  /** What the staged channel delivered to the master. */
  readonly got: WorkerToMaster[];
  /** Attempts it reported the worker free of. */
  readonly vacated: string[];
  /** Copy-backs waiting for the test, in the order they began (getTree: 'gated'). */
  readonly gates: Gate[];
  /** Answers as the worker. */
  answer(m: WorkerToMaster): void;
}

export function staged(o: FakeStagerOptions): Staged {
  const sent: MasterToWorker[] = [];
  let handler: ((m: WorkerToMaster) => void) | undefined;
  const inner: Channel<MasterToWorker, WorkerToMaster> = {
    send: (m) => void sent.push(m),
    onMessage: (h) => void (handler = h),
    onClose: () => undefined,
    close: () => undefined,
  };
  let n = 0;
  const gates: Gate[] = [];
  const stager: Stager = {
    put: async (p) => {
      if (o.putFails) throw new Error('upload cut');
      return `/remote/in/${p.length}`;
    },
    fresh: () => `/remote/o${++n}`,
    getTree: async () => {
      if (o.getTree === 'fails') throw new Error('download cut');
      if (o.getTree === 'gated') await new Promise<void>((open, cut) => void gates.push({ open, cut }));
    },
    getFile: async () => undefined,
    scratch: () => '/remote/scratch',
    discard: () => undefined,
    connected: async () => o.connected(),
  };
  const ch = stagedChannel(inner, stager, 'cloud-1');
  const got: WorkerToMaster[] = [];
  const vacated: string[] = [];
  ch.onMessage((m) => void got.push(m));
  ch.onVacated((id) => void vacated.push(id));
  return { ch, sent, got, vacated, gates, answer: (m) => handler?.(m) };
}

/** An assignment of a command step, with the master's paths under /m. */
export function assignMsg(id: string, o: { label?: string; sealedFiles?: readonly string[] } = {}): AssignMsg {
  const files = Object.fromEntries((o.sealedFiles ?? []).map((f) => [f, {}]));
  return {
    type: 'assign', id, label: o.label ?? id, exec: { kind: 'command', argv: ['true'] }, inputs: {}, outputs: [], threads: 1,
    scratchDir: `/m/scratch/${id}`, outDir: `/m/out/${id}`, logBase: `/m/logs/${id}`, sealed: { files },
  } as unknown as AssignMsg;
}

/** Lets the staged channel's promise chains run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
