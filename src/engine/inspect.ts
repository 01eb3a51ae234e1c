/**
 * Summaries of runs, read back from their journals: what `sealflow runs` and
 * `sealflow show` print. A journal without an end whose master process is
 * gone is reported as `interrupted` (resumable).
 */
import os from 'node:os';
import type { PortValue } from '../workflow/model.js';
import type { RunEvent } from './events.js';
import { readJournal } from './journal.js';
import { checkJournalShape } from './journal-shape.js';
import { RunDir } from './run-dir.js';
import type { RunState, StepState } from './states.js';

export interface InstanceSummary {
  readonly step: string;
  readonly index: number;
  readonly state: StepState;
  readonly attempts: number;
  readonly worker?: string;
  readonly host?: string;
  readonly durationMs?: number;
  readonly exitStatus?: number | null;
  readonly message?: string;
  /** Reused from an earlier session of the run (resume). */
  readonly reused: boolean;
  /** The step is scattered (print the index). */
  readonly scattered: boolean;
}

export interface RunSummary {
  readonly id: string;
  readonly name: string;
  readonly workflow: string;
  readonly state: RunState;
  readonly startedAt: number;
  readonly endedAt?: number;
  /**
   * Time the run was actually running: the sum over its sessions (the first
   * run and each resume) of start to finish — or to the session's last event
   * when its master was killed. The idle time between sessions is not counted.
   */
  readonly activeMs: number;
  readonly sessions: number;
  readonly instances: readonly InstanceSummary[];
  readonly outputs: Readonly<Record<string, PortValue>>;
  readonly message?: string;
  readonly tornTail: boolean;
}

function alive(pid: number, host: string): boolean {
  if (host !== os.hostname()) return true; // cannot tell; assume it still runs
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function summarize(id: string, events: readonly RunEvent[], tornTail = false): RunSummary {
  checkJournalShape(id, events);
  const inst = new Map<string, { -readonly [K in keyof InstanceSummary]: InstanceSummary[K] }>();
  const scatteredSteps = new Set<string>();
  const get = (step: string, index: number) => {
    const k = `${step}[${index}]`;
    let s = inst.get(k);
    if (!s) {
      s = { step, index, state: 'pending', attempts: 0, reused: false, scattered: scatteredSteps.has(step) };
      inst.set(k, s);
    }
    return s;
  };
  let name = id;
  let workflow = '';
  let state: RunState = 'running';
  let startedAt = 0;
  let endedAt: number | undefined;
  let sessions = 0;
  let outputs: Readonly<Record<string, PortValue>> = {};
  let message: string | undefined;
  let owner = { pid: -1, host: '' };
  let stepIds: readonly string[] = [];
  let activeMs = 0;
  let sessionStart: number | undefined;
  let lastT = 0;
  for (const e of events) {
    if (e.type === 'run-started' || e.type === 'run-resumed') {
      if (sessionStart !== undefined) activeMs += lastT - sessionStart; // a session whose master was killed
      sessionStart = e.t;
    } else if (e.type === 'run-finished' && sessionStart !== undefined) {
      activeMs += e.t - sessionStart;
      sessionStart = undefined;
    }
    lastT = Math.max(lastT, e.t);
    switch (e.type) {
      case 'run-started':
        ({ name, workflow } = e);
        stepIds = e.steps ?? [];
        startedAt = e.t;
        sessions = 1;
        owner = { pid: e.pid, host: e.host };
        break;
      case 'run-resumed':
        workflow = e.workflow; // the file this session ran (the same workflow: --resume checks it)
        sessions++;
        state = 'running';
        endedAt = undefined;
        message = undefined;
        owner = { pid: e.pid, host: e.host };
        break;
      case 'step-started': {
        const s = get(e.step, e.index);
        Object.assign(s, { state: 'running', attempts: e.attempt, worker: e.worker, host: e.host, reused: false });
        delete s.exitStatus;
        delete s.message;
        break;
      }
      case 'step-succeeded':
        Object.assign(get(e.step, e.index), { state: 'succeeded', durationMs: e.durationMs, exitStatus: e.exitStatus });
        break;
      case 'step-reused':
        Object.assign(get(e.step, e.index), { state: 'succeeded', reused: true });
        break;
      case 'step-failed':
        Object.assign(get(e.step, e.index), { state: e.willRetry ? 'running' : 'failed', durationMs: e.durationMs, exitStatus: e.exitStatus, message: e.message });
        break;
      case 'step-skipped':
        Object.assign(get(e.step, e.index), { state: 'skipped' });
        break;
      case 'step-cancelled':
        Object.assign(get(e.step, e.index), { state: 'cancelled', message: e.reason });
        break;
      case 'run-finished':
        state = e.state;
        endedAt = e.t;
        outputs = e.outputs;
        message = e.message;
        break;
      case 'step-expanded':
        scatteredSteps.add(e.step);
        break;
      case 'worker-started':
      case 'worker-lost':
        break;
    }
  }
  if (state === 'running' && !alive(owner.pid, owner.host)) state = 'interrupted';
  // Steps with no event yet (never reached), in file order.
  const seen = new Set([...inst.values()].map((i) => i.step));
  for (const id of stepIds) if (!seen.has(id)) get(id, 0);
  const order = new Map(stepIds.map((id, i) => [id, i]));
  if (state !== 'running') for (const s of inst.values()) if (s.state === 'running' || s.state === 'pending') s.state = 'cancelled';
  return {
    id,
    name,
    workflow,
    state,
    startedAt,
    ...(endedAt !== undefined ? { endedAt } : {}),
    activeMs: activeMs + (sessionStart !== undefined ? lastT - sessionStart : 0),
    sessions,
    instances: [...inst.values()].sort((a, b) => (order.get(a.step) ?? 0) - (order.get(b.step) ?? 0) || a.index - b.index),
    outputs,
    ...(message !== undefined ? { message } : {}),
    tornTail,
  };
}

export function summarizeRun(stateDir: string, id: string): RunSummary | null {
  const dir = new RunDir(stateDir, id);
  if (!dir.exists()) return null;
  const { events, tornTail } = readJournal(dir.journal);
  return summarize(id, events, tornTail);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}
