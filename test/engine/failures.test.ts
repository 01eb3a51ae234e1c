import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cmd, events, run, task, tmpDir, workflow } from './build.js';
import { REPO } from '../helpers/cli.js';

const TASKS = path.join(REPO, 'test', 'fixtures', 'engine', 'tasks.mts');

describe('failures', () => {
  test('a failing step reports its exit status and the tail of its stderr', async () => {
    const wf = workflow([cmd('bad', { argv: ['sh', '-c', 'for i in $(seq 1 50); do echo "line $i" >&2; done; exit 7'] })]);
    const r = await run(wf);
    assert.equal(r.state, 'failed');
    const f = r.failures[0];
    assert.equal(f?.step, 'bad');
    assert.equal(f?.exitStatus, 7);
    assert.match(f?.message ?? '', /sh exited with status 7/);
    assert.match(f?.stderrTail ?? '', /line 50$/);
    assert.doesNotMatch(f?.stderrTail ?? '', /line 1\n/);
  });

  test('a command that is not on PATH fails with a message that names it', async () => {
    const r = await run(workflow([cmd('x', { argv: ['sealflow-no-such-program-xyz'] })]));
    assert.equal(r.state, 'failed');
    assert.match(r.failures[0]?.message ?? '', /command not found on PATH: sealflow-no-such-program-xyz/);
  });

  test('a declared output file that the command did not write fails the step', async () => {
    const r = await run(workflow([cmd('x', { argv: ['true'], out: { o: 'file missing.txt' } })]));
    assert.equal(r.state, 'failed');
    assert.match(r.failures[0]?.message ?? '', /output o \(glob "missing.txt"\): no file matches/);
  });

  test('retries re-run a failed step up to its retries and journal each attempt', async () => {
    const dir = tmpDir();
    const marker = path.join(dir, 'count');
    const flaky = cmd('flaky', {
      argv: ['sh', '-c', 'echo x >> "$1"; [ $(wc -l < "$1") -ge 3 ] && echo ok', 'sh', '$(m)'],
      in: { m: { type: 'string', from: 'marker' } },
      stdout: 'o',
      out: { o: 'string o' },
      retries: 2,
    });
    const r = await run(workflow([flaky], { inputs: { marker: 'string' }, outputs: { o: { type: 'string', from: 'flaky/o' } } }), { inputs: { marker } });
    assert.equal(r.state, 'succeeded');
    assert.equal(r.outputs['o'], 'ok');
    const ev = events(r.runDir);
    assert.deepEqual(ev.filter((e) => e.type === 'step-failed').map((e) => (e.type === 'step-failed' ? [e.attempt, e.willRetry] : null)), [[1, true], [2, true]]);
    assert.equal(ev.filter((e) => e.type === 'step-started').length, 3);

    fs.rmSync(marker);
    const noRetry = await run(workflow([{ ...flaky, retries: 1 }], { inputs: { marker: 'string' } }), { inputs: { marker } });
    assert.equal(noRetry.state, 'failed');
    assert.equal(noRetry.failures[0]?.attempt, 2);
  });

  test('fail-fast (the default) cancels running steps and starts nothing new', async () => {
    const wf = workflow([
      cmd('slow', { argv: ['sleep', '600'] }),
      cmd('bad', { argv: ['sh', '-c', 'sleep 0.2; exit 1'] }),
      cmd('later', { argv: ['true'], in: { x: { type: 'string?', from: 'bad/never', optional: true } } }),
    ]);
    const t0 = Date.now();
    const r = await run(wf, { concurrency: 2 });
    assert.equal(r.state, 'failed');
    // Far below the 600 s it would take to wait for it, far above any machine's time to cancel it.
    assert.ok(Date.now() - t0 < 300_000, 'the sleeping step was cancelled, not waited for');
    const ev = events(r.runDir);
    assert.ok(ev.some((e) => e.type === 'step-cancelled' && e.step === 'slow'));
    assert.ok(!ev.some((e) => e.type === 'step-started' && e.step === 'later'));
  });

  test('a task that ignores cancellation is abandoned after a grace period, so fail-fast still ends the run', async () => {
    const t0 = Date.now();
    const r = await run(workflow([task('stuck', TASKS, 'stubborn', {}), cmd('bad', { argv: ['sh', '-c', 'sleep 0.3; exit 1'] })]));
    assert.equal(r.state, 'failed');
    // The task would go on for 600 s; far below that, far above any machine's time to give up on it after the grace period.
    assert.ok(Date.now() - t0 < 300_000, `took ${Date.now() - t0} ms`);
    assert.ok(events(r.runDir).some((e) => e.type === 'step-cancelled' && e.step === 'stuck'));
  });

  test('--keep-going finishes independent steps and cancels only those downstream of the failure', async () => {
    const wf = workflow([
      cmd('bad', { argv: ['false'], stdout: 'o', out: { o: 'file o' } }),
      cmd('down', { argv: ['cat', '$(x)'], in: { x: { type: 'file', from: 'bad/o' } } }),
      cmd('indep', { argv: ['sh', '-c', 'sleep 0.3; echo fine'], stdout: 'o', out: { o: 'string o' } }),
    ], { outputs: { o: { type: 'string', from: 'indep/o' } } });
    const r = await run(wf, { keepGoing: true });
    assert.equal(r.state, 'failed');
    const ev = events(r.runDir);
    assert.ok(ev.some((e) => e.type === 'step-succeeded' && e.step === 'indep'));
    assert.ok(ev.some((e) => e.type === 'step-cancelled' && e.step === 'down' && /bad it reads from failed/.test(e.reason)));
    assert.ok(!ev.some((e) => e.type === 'step-started' && e.step === 'down'));
  });
});

describe('lost workers', () => {
  test('an attempt whose worker dies fails with a message naming the worker, and a retry runs on a live worker', async () => {
    const dir = tmpDir();
    const marker = path.join(dir, 'killed');
    // The first attempt, once under way, kills its executor (its parent) and lingers; the retry finds the marker and succeeds.
    const step = cmd('k', {
      argv: ['sh', '-c', 'if [ -e "$1" ]; then echo survived; else echo $$ > "$1"; sleep 0.5; kill -9 $PPID; exec sleep 30; fi', 'sh', '$(m)'],
      in: { m: { type: 'string', from: 'marker' } },
      stdout: 'o',
      out: { o: 'string o' },
      retries: 1,
    });
    const r = await run(workflow([step], { inputs: { marker: 'string' }, outputs: { o: { type: 'string', from: 'k/o' } } }), { inputs: { marker } });
    assert.equal(r.state, 'succeeded', JSON.stringify(r.failures));
    assert.equal(r.outputs['o'], 'survived');
    const failed = events(r.runDir).find((e) => e.type === 'step-failed');
    assert.match(failed?.type === 'step-failed' ? failed.message : '', /worker local-\d on \S+ exited unexpectedly/);
    const orphan = Number(fs.readFileSync(marker, 'utf8'));
    const end = Date.now() + 60_000;
    const alive = () => {
      try {
        process.kill(orphan, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (alive() && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
    assert.equal(alive(), false, 'the command the dead worker left behind was stopped');
  });
});
