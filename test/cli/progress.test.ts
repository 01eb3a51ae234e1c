import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress } from '../../src/cli/progress.js';
import type { NewEvent, RunEvent } from '../../src/engine/events.js';

function sink(): { out: NodeJS.WriteStream; text: () => string } {
  let buf = '';
  const out = { columns: 200, write: (s: string) => ((buf += s), true) } as unknown as NodeJS.WriteStream;
  return { out, text: () => buf };
}
const ev = (e: NewEvent): RunEvent => ({ ...e, t: Date.now() }) as RunEvent;

describe('progress display', () => {
  test('on a TTY it redraws one line with done, running and failed counts, and prints failures above it', async () => {
    const s = sink();
    const p = createProgress('tty', 2, s.out);
    p.onEvent(ev({ type: 'step-expanded', step: 'm', count: 3 }));
    p.onEvent(ev({ type: 'step-started', step: 'm', index: 0, attempt: 1, worker: 'local-1', host: 'h', hash: 'x' }));
    p.onEvent(ev({ type: 'step-succeeded', step: 'm', index: 0, attempt: 1, hash: 'x', outputs: {}, exitStatus: 0, durationMs: 5 }));
    p.onEvent(ev({ type: 'step-started', step: 'm', index: 1, attempt: 1, worker: 'local-1', host: 'h', hash: 'x' }));
    p.onEvent(ev({ type: 'step-failed', step: 'm', index: 1, attempt: 1, exitStatus: 3, signal: null, message: 'sh exited with status 3', stderrTail: 'oops', willRetry: false, durationMs: 5 }));
    p.end();
    const t = s.text();
    assert.match(t, /\r\x1b\[K/);
    assert.match(t, /m\[1\] FAILED \(exit status 3\): sh exited with status 3\n {4}oops\n/);
    assert.match(t, /1\/4 done, 0 running, 1 failed/);
    assert.ok(t.endsWith('\n'));
  });

  test('without a TTY it prints one plain line per event', () => {
    const s = sink();
    const p = createProgress('plain', 1, s.out);
    p.onEvent(ev({ type: 'step-started', step: 'a', index: 0, attempt: 2, worker: 'local-2', host: 'h', hash: 'x' }));
    p.onEvent(ev({ type: 'step-skipped', step: 'b', index: 0, reason: 'when: go is false' }));
    p.end();
    assert.match(s.text(), /^\[ +\d+\.\ds\] a started on local-2 \(attempt 2\)\n\[ +\d+\.\ds\] b skipped \(when: go is false\)\n$/);
  });

  test('a worker whose batch job waits in the queue shows as waiting (its own line without a TTY, the status line on one) until its job runs', () => {
    const waiting = ev({ type: 'worker-job', worker: 'hpc-1', deployment: 'hpc', connector: 'slurm', job: '12', state: 'waiting', reason: 'Priority' });
    const running = ev({ type: 'worker-job', worker: 'hpc-1', deployment: 'hpc', connector: 'slurm', job: '12', state: 'running', node: 'n2' });
    const plain = sink();
    const p = createProgress('plain', 1, plain.out);
    p.onEvent(waiting);
    p.onEvent(running);
    p.end();
    assert.match(plain.text(), /worker hpc-1 waiting in the queue \(slurm job 12: Priority\)\n.*worker hpc-1 job 12 running on n2\n$/s);
    const tty = sink();
    const q = createProgress('tty', 1, tty.out);
    q.onEvent(waiting);
    q.end();
    assert.match(tty.text(), /0\/1 done, 0 running, 0 failed, 1 worker waiting in the queue\n$/);
    const tty2 = sink();
    const r = createProgress('tty', 1, tty2.out);
    r.onEvent(waiting);
    r.onEvent(running);
    r.end();
    assert.doesNotMatch(tty2.text(), /waiting in the queue/);
  });
});
