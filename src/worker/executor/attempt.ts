/**
 * One attempt of a step instance inside the executor: prepare the private
 * scratch directory and logs, run the command or task, collect its outputs
 * (plain runs: on success scratch becomes the instance's output directory;
 * sealed runs: `finish` encrypts them from scratch into it), remove scratch,
 * and say how it went.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AssignMsg, FailedMsg, SucceededMsg } from '../../protocol/execution.js';
import type { ToolCheck } from '../../protocol/execution.js';
import { runCommand, toolsDirOf } from './command.js';
import { runTask } from './task.js';
import { ensureDir, Keeper } from './outputs.js';

export type AttemptResult = Omit<SucceededMsg, 'id'> | Omit<FailedMsg, 'id'> | { readonly type: 'cancelled' };

/**
 * The attested executor's last step of an attempt, run while its scratch still exists: encrypt the outputs
 * from scratch into the output directory (the keeper says where each one's plaintext is) and the logs.
 */
export type FinishAttempt = (r: AttemptResult, keeper: Keeper) => Promise<AttemptResult>;

export interface Attempt {
  readonly done: Promise<AttemptResult>;
  cancel(): void;
}

const TAIL_BYTES = 4096;
const TAIL_LINES = 20;

/** The last lines of a log file (at most ~4 KiB). */
export function tailOf(file: string): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fs.fstatSync(fd).size;
    const n = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(n);
    fs.readSync(fd, buf, 0, n, size - n);
    const lines = buf.toString('utf8').replace(/\s+$/, '').split('\n');
    return lines.slice(-TAIL_LINES).join('\n');
  } finally {
    fs.closeSync(fd);
  }
}

/** A task that ignores its abort signal this long after a cancel is abandoned (it dies with the executor). */
const TASK_CANCEL_GRACE_MS = 2000;

function abandonedAfterGrace(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => setTimeout(() => reject(new Error('cancelled')), TASK_CANCEL_GRACE_MS).unref(), { once: true });
  });
}

/** Runs one attempt; with `finish` (sealed runs) outputs stay in scratch until `finish` has encrypted them (§10.8). */
export function startAttempt(msg: AssignMsg, pathEnv: string, onStarted: (pgid: number) => void, finish?: FinishAttempt): Attempt {
  const started = performance.now();
  const abort = new AbortController();
  const duration = () => Math.round(performance.now() - started);
  const failed = (message: string, stderrTail: string, exitStatus: number | null = null, signal: string | null = null, tools?: readonly ToolCheck[]): AttemptResult => ({
    type: 'failed',
    exitStatus,
    signal,
    message,
    stderrTail,
    durationMs: duration(),
    ...(tools !== undefined ? { tools } : {}),
  });

  const run = async (): Promise<AttemptResult> => {
    ensureDir(path.dirname(msg.scratchDir));
    if (fs.existsSync(msg.scratchDir)) fs.rmSync(msg.scratchDir, { recursive: true, force: true });
    fs.mkdirSync(msg.scratchDir, { mode: 0o700 });
    ensureDir(path.dirname(msg.logBase));
    const errLog = `${msg.logBase}.err`;
    const keeper = new Keeper(msg.scratchDir, msg.outDir, finish !== undefined);
    const attempt = async (): Promise<AttemptResult> => {
      const r =
        msg.exec.kind === 'command'
          ? await runCommand(msg, msg.exec, { pathEnv, errLog, outLog: `${msg.logBase}.out`, signal: abort.signal, keeper, onStarted })
          : msg.exec.kind === 'cwl'
            ? await (await import('./cwl.js')).runCwlStep(msg, msg.exec, { pathEnv, errLog, keeper }) // the CWL runner (13 modules) loads with the first CWL step, not with every worker
            : await Promise.race([runTask(msg, msg.exec, { errLog, signal: abort.signal, keeper }), abandonedAfterGrace(abort.signal)]);
      if (abort.signal.aborted) return { type: 'cancelled' };
      const tools = 'tools' in r ? r.tools : undefined;
      const usage = r.usage !== undefined ? { usage: r.usage } : {};
      if (!r.ok) return { ...failed(r.message, r.stderrTail ?? tailOf(errLog), r.exitStatus, r.signal, tools), ...usage };
      keeper.finish();
      return { type: 'succeeded', outputs: r.outputs, exitStatus: r.exitStatus, durationMs: duration(), ...(tools !== undefined ? { tools } : {}), ...usage };
    };
    try {
      let r: AttemptResult;
      try {
        r = await attempt();
      } catch (e) {
        r = abort.signal.aborted ? { type: 'cancelled' } : failed(e instanceof Error ? e.message : String(e), tailOf(errLog));
      }
      return finish ? await finish(r, keeper) : r;
    } finally {
      // Plain runs: after success scratch has become the output directory. Otherwise (and always in sealed runs) it goes.
      if (fs.existsSync(msg.scratchDir)) fs.rmSync(msg.scratchDir, { recursive: true, force: true });
      fs.rmSync(toolsDirOf(msg.scratchDir), { recursive: true, force: true });
    }
  };
  return { done: run(), cancel: () => abort.abort() };
}
