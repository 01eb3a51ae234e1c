/**
 * The runner's side of one target process (child.ts): start it, send it a
 * batch, and collect one result per input — or learn that it died (a crash)
 * or went silent for longer than the watchdog allows (a hang), in which case
 * it is killed and the caller starts a new one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildRequest, ChildResult, Verdict } from './child-protocol.js';

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

export interface Result {
  readonly i: number;
  readonly verdict: Verdict;
  readonly detail?: string;
}

/** How a batch ended early: input `i` crashed the process or never finished. */
export interface Stop {
  readonly i: number;
  readonly kind: 'crash' | 'hang';
  readonly detail: string;
}

export class ChildHandle {
  private stderrTail = '';

  private constructor(private readonly proc: ChildProcess) {
    proc.stderr?.on('data', (b: Buffer) => {
      this.stderrTail = (this.stderrTail + b.toString('utf8')).slice(-2000);
    });
  }

  /** Starts a process holding target `name` of the compiled target file `file`. */
  static async start(file: string, name: string): Promise<ChildHandle> {
    const proc = fork(CHILD, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // A target that allocates without bound is a crash, not a swapping machine.
      execArgv: ['--max-old-space-size=1024'],
    });
    const h = new ChildHandle(proc);
    const first = await new Promise<ChildResult | { type: 'exit' }>((resolve) => {
      proc.once('message', (m) => resolve(m as ChildResult));
      proc.once('exit', () => resolve({ type: 'exit' }));
      proc.send({ type: 'init', file, name } satisfies ChildRequest);
    });
    if (first.type !== 'ready') {
      h.kill();
      const why = first.type === 'init-error' ? first.detail : `the process exited while loading: ${h.stderrTail}`;
      throw new Error(`fuzz target ${name} (${file}) did not load: ${why}`);
    }
    return h;
  }

  /**
   * Runs `inputs` as iterations start, start+1, …; resolves with the results
   * so far and, if the batch ended early, why. `watchdogMs` is the longest
   * silence (no result) tolerated before the process is killed as hung.
   */
  runBatch(start: number, inputs: readonly Uint8Array[], hangMs: number, watchdogMs: number): Promise<{ results: Result[]; stop?: Stop }> {
    const proc = this.proc;
    const results: Result[] = [];
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (stop?: Stop): void => {
        clearTimeout(timer);
        proc.off('message', onMessage);
        proc.off('exit', onExit);
        resolve(stop === undefined ? { results } : { results, stop });
      };
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          this.kill();
          finish({ i: start + results.length, kind: 'hang', detail: `no answer for ${watchdogMs} ms (hang limit ${hangMs} ms); the process was killed` });
        }, watchdogMs);
      };
      const onMessage = (raw: unknown): void => {
        const m = raw as ChildResult;
        if (m.type !== 'result') return;
        results.push(m.detail === undefined ? { i: m.i, verdict: m.verdict } : { i: m.i, verdict: m.verdict, detail: m.detail });
        if (results.length === inputs.length) finish();
        else arm();
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        const tail = this.stderrTail.trim().split('\n').slice(-8).join('\n');
        finish({ i: start + results.length, kind: 'crash', detail: `the process ended (${signal ?? `exit ${code}`})${tail === '' ? '' : `:\n${tail}`}` });
      };
      proc.on('message', onMessage);
      proc.once('exit', onExit);
      arm();
      proc.send({ type: 'batch', start, inputs, hangMs } satisfies ChildRequest);
    });
  }

  /** Lets the process end by itself (it cleans up its temporary files), once it has answered everything. */
  close(): void {
    if (this.proc.connected) this.proc.disconnect();
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}
