/**
 * How `sealflow run` shows a run while it happens: on a TTY one live line
 * (done/running/failed, elapsed) on stderr, with failures printed above it;
 * otherwise plain log lines on stderr; with `--json` every event as one JSON
 * object per line on stdout (and nothing else there).
 */
import type { RunEvent } from '../engine/events.js';
import { formatDuration } from '../engine/inspect.js';

export type ProgressMode = 'tty' | 'plain' | 'json' | 'quiet';

export interface Progress {
  readonly onEvent: (e: RunEvent) => void;
  /** Clears the live line (before the final report). */
  end(): void;
}

function label(step: string, index: number, scattered: boolean): string {
  return scattered ? `${step}[${index}]` : step;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

export function createProgress(mode: ProgressMode, stepCount: number, out: NodeJS.WriteStream = process.stderr): Progress {
  const t0 = Date.now();
  const scattered = new Map<string, number>();
  const running = new Set<string>();
  /** Workers whose batch job waits in the queue. */
  const waiting = new Set<string>();
  let done = 0;
  let failed = 0;
  let timer: NodeJS.Timeout | undefined;
  let lastDraw = 0;
  const total = () => stepCount - scattered.size + [...scattered.values()].reduce((a, b) => a + b, 0);
  const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s]`;

  const draw = () => {
    lastDraw = Date.now();
    const names = [...running].slice(0, 3).join(', ') + (running.size > 3 ? ', ...' : '');
    const line = `${stamp()} ${done}/${total()} done, ${running.size} running, ${failed} failed${waiting.size > 0 ? `, ${waiting.size} worker${waiting.size === 1 ? '' : 's'} waiting in the queue` : ''}${names ? ` — ${names}` : ''}`;
    out.write(`\r\x1b[K${line.slice(0, (out.columns || 100) - 1)}`);
  };
  const scheduleDraw = () => {
    if (timer) return;
    const wait = Math.max(0, 100 - (Date.now() - lastDraw));
    timer = setTimeout(() => {
      timer = undefined;
      draw();
    }, wait);
  };
  const print = (text: string) => {
    if (mode === 'tty') out.write(`\r\x1b[K${text}\n`);
    else out.write(`${stamp()} ${text}\n`);
  };

  const onEvent = (e: RunEvent): void => {
    if (mode === 'json') {
      process.stdout.write(`${JSON.stringify(e)}\n`);
      return;
    }
    let line: string | null = null;
    switch (e.type) {
      case 'run-started':
        line = `run ${e.runId} started (${e.name}, concurrency ${e.concurrency})`;
        break;
      case 'run-resumed':
        line = `run resumed`;
        break;
      case 'worker-started':
        line = `worker ${e.worker} ready (${e.connector} on ${e.host}, platform ${e.platform}${e.platform === 'none' ? ', no TEE' : e.platform === 'sim' ? ', not a TEE' : ''})`;
        break;
      case 'worker-job':
        if (e.state === 'waiting') waiting.add(e.worker);
        else waiting.delete(e.worker);
        line = e.state === 'waiting' ? `worker ${e.worker} waiting in the queue (${e.connector} job ${e.job}${e.reason !== undefined ? `: ${e.reason}` : ''})` : `worker ${e.worker} job ${e.job} running on ${e.node ?? 'a node'}`;
        break;
      case 'worker-lost':
        line = `worker ${e.worker} on ${e.host} lost: ${e.reason}${e.attempts.length > 0 ? `; re-running ${e.attempts.join(', ')}` : ''}`;
        break;
      case 'step-expanded':
        scattered.set(e.step, e.count);
        line = `step ${e.step} scattered into ${e.count} instances`;
        break;
      case 'step-started': {
        const l = label(e.step, e.index, scattered.has(e.step));
        running.add(l);
        line = `${l} started on ${e.worker}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`;
        break;
      }
      case 'step-succeeded': {
        const l = label(e.step, e.index, scattered.has(e.step));
        running.delete(l);
        done++;
        line = `${l} succeeded in ${formatDuration(e.durationMs)}`;
        break;
      }
      case 'step-reused':
        done++;
        line = `${label(e.step, e.index, scattered.has(e.step))} reused (unchanged since an earlier session)`;
        break;
      case 'step-skipped':
        done++;
        line = `${label(e.step, e.index, scattered.has(e.step))} skipped (${e.reason})`;
        break;
      case 'step-failed': {
        const l = label(e.step, e.index, scattered.has(e.step));
        running.delete(l);
        if (!e.willRetry) failed++;
        const status = e.exitStatus !== null ? `exit status ${e.exitStatus}` : e.signal ? `signal ${e.signal}` : 'no exit status';
        const text = `${l} FAILED (${status}${e.willRetry ? ', will retry' : ''}): ${e.message}${e.stderrTail ? `\n${indent(e.stderrTail)}` : ''}`;
        if (mode !== 'quiet') print(text);
        if (mode === 'tty') scheduleDraw();
        return;
      }
      case 'step-cancelled':
        running.delete(label(e.step, e.index, scattered.has(e.step)));
        line = `${label(e.step, e.index, scattered.has(e.step))} cancelled (${e.reason})`;
        break;
      case 'run-finished':
        line = `run ${e.state}${e.message ? `: ${e.message}` : ''}`;
        break;
    }
    const keep = e.type === 'run-started' || e.type === 'run-resumed';
    if (line && (mode === 'plain' || (mode === 'tty' && keep))) print(line);
    if (mode === 'tty') scheduleDraw();
  };
  return {
    onEvent,
    end() {
      if (timer) clearTimeout(timer);
      if (mode === 'tty') {
        draw();
        out.write('\n');
      }
    },
  };
}
