/**
 * docs/protocol.md §11.2 and §12 on the engine: the master declares a hung
 * worker dead by its heartbeats, re-runs its step on a live worker, starts a
 * replacement when no worker is left, and deletes the scratch of a worker
 * killed with SIGKILL (which cannot clean up after itself).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { cmd, events, tmpDir, workflow } from './build.js';
import { faultRun, gate, holdAt, until, workerOf } from '../faults/harness.js';
import { alive } from '../cli/run-helpers.js';

const out = (id: string, argv: string[], retries = 0) => cmd(id, { argv, stdout: 'o', out: { o: 'string o' }, retries });

describe('§11.2 master-side heartbeats', () => {
  test('§11.2 a worker that hangs (SIGSTOP) is declared dead by its heartbeats within 1.25 × the timeout, and its step re-runs on another worker', async () => {
    let stopped: { pid: number; at: number } | null = null;
    let lostAt = 0;
    // v holds at a gate until its re-run starts: the first attempt cannot finish before its worker hangs.
    const g = gate();
    const wf = workflow([out('v', ['sh', '-c', `${holdAt('"$1"')}; echo done`, 'sh', g.path])], { outputs: { o: { type: 'string', from: 'v/o' } } });
    // The bound is in the master's time: a pause of this process (a loaded machine) delays the watchdog's check by as much.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const timeoutMs = 2000;
    const { outcome } = await faultRun(wf, {
      heartbeat: { intervalMs: 200, timeoutMs },
      onEvent: (e, pool) => {
        if (e.type === 'step-started' && e.attempt === 1) {
          const w = workerOf(pool, e.worker);
          process.kill(w.pid, 'SIGSTOP');
          stopped = { pid: w.pid, at: Date.now() };
        }
        if (e.type === 'step-started' && e.attempt === 2) g.open();
        if (e.type === 'worker-lost') lostAt = e.t; // stamped when the master declared it dead
      },
    });
    lag.disable();
    assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
    assert.equal(outcome.outputs['o'], 'done');
    const s = stopped as { pid: number; at: number } | null;
    assert.ok(s);
    const ev = events(outcome.runDir);
    const lost = ev.find((e) => e.type === 'worker-lost');
    assert.match(lost?.type === 'worker-lost' ? lost.reason : '', /declared dead: no heartbeat for/);
    const maxLagMs = lag.max / 1e6;
    assert.ok(lostAt - s.at <= 1.25 * timeoutMs + 2 * maxLagMs + 250, `declared dead ${lostAt - s.at} ms after it hung (this process paused up to ${Math.round(maxLagMs)} ms)`);
    const failed = ev.find((e) => e.type === 'step-failed');
    assert.ok(failed?.type === 'step-failed' && failed.workerLost === true && failed.willRetry, 'the lost attempt is retried although the step has no retries');
    const ok = ev.find((e) => e.type === 'step-succeeded');
    assert.equal(ok?.type === 'step-succeeded' ? ok.attempt : 0, 2);
    assert.ok(await until(() => !alive(s.pid)), 'the hung worker was killed');
  });
});

describe('§12 lost workers', () => {
  test('§12.2 when the only worker of a deployment dies, a replacement is started and the step runs there', async () => {
    // v holds at a gate until its re-run starts: its first attempt cannot finish before its worker is killed.
    const g = gate();
    const wf = workflow(
      [
        out('a', ['echo', 'first']),
        cmd('v', { argv: ['sh', '-c', `${holdAt('"$2"')}; echo "$1 then second"`, 'sh', '$(x)', g.path], in: { x: { type: 'string', from: 'a/o' } }, stdout: 'o', out: { o: 'string o' } }),
      ],
      { outputs: { o: { type: 'string', from: 'v/o' } } },
    );
    const { outcome } = await faultRun(wf, {
      workers: 1,
      onEvent: (e, pool) => {
        if (e.type === 'step-started' && e.step === 'v' && e.attempt === 1) process.kill(workerOf(pool, e.worker).pid, 'SIGKILL');
        if (e.type === 'step-started' && e.step === 'v' && e.attempt === 2) g.open();
      },
    });
    assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
    assert.equal(outcome.outputs['o'], 'first then second');
    const ev = events(outcome.runDir);
    assert.deepEqual(ev.flatMap((e) => (e.type === 'worker-started' ? [e.worker] : [])), ['local-1', 'local-2']);
    const started = ev.flatMap((e) => (e.type === 'step-started' ? [`${e.step}#${e.attempt}@${e.worker}`] : []));
    assert.deepEqual(started, ['a#1@local-1', 'v#1@local-1', 'v#2@local-2'], 'the producer a is not re-run: its output lives in the run directory');
  });

  test('§12.3 the connector deletes the scratch of a worker killed with SIGKILL, and stops the command it left', async () => {
    const dir = tmpDir();
    const stateDir = path.join(dir, 'state');
    const marker = path.join(dir, 'first');
    // Attempt 1 writes into its scratch directory (its cwd) and hangs; attempt 2 (after the kill) holds at a gate the
    // test opens once it has seen the scratch of attempt 1 deleted: the run is still going then, on any machine.
    const g = gate(dir);
    const wf = workflow(
      [cmd('v', { argv: ['sh', '-c', `if [ -e "$1" ]; then ${holdAt('"$2"')}; echo second; else echo partial > partial.txt; echo $$ > "$1"; exec sleep 600; fi`, 'sh', '$(m)', g.path], in: { m: { type: 'string', from: 'm' } }, stdout: 'o', out: { o: 'string o' } })],
      { inputs: { m: 'string' }, outputs: { o: { type: 'string', from: 'v/o' } } },
    );
    let scratch = '';
    let hadPartial = false;
    let wiped: Promise<boolean> = Promise.resolve(false);
    const { outcome } = await faultRun(wf, {
      inputs: { m: marker },
      stateDir,
      onEvent: (e, pool) => {
        if (e.type === 'run-started') scratch = path.join(stateDir, 'runs', e.runId, 'scratch', 'v.0.1');
        if (e.type === 'step-started' && e.attempt === 1) {
          const w = workerOf(pool, e.worker);
          void until(() => fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').endsWith('\n')).then(() => {
            hadPartial = fs.existsSync(path.join(scratch, 'partial.txt'));
            try {
              process.kill(w.pid, 'SIGKILL'); // the executor only
            } catch {
              /* already gone */
            }
          });
        }
        if (e.type === 'worker-lost') {
          wiped = until(() => !fs.existsSync(scratch));
          void wiped.then(() => g.open());
        }
      },
    });
    assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
    assert.equal(outcome.outputs['o'], 'second');
    assert.ok(hadPartial, 'the killed attempt had written into its scratch directory');
    assert.ok(await wiped, 'its scratch directory was deleted while the run went on');
    const orphan = Number(fs.readFileSync(marker, 'utf8'));
    assert.ok(await until(() => !alive(orphan)), 'the command the killed worker left was stopped');
  });
});
