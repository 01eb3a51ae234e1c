import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cmd, events, fileText, run, workflow } from './build.js';

describe('scheduling', () => {
  test('a diamond runs every step once, each after the steps it reads from', async () => {
    const wf = workflow(
      [
        cmd('a', { argv: ['echo', 'A'], stdout: 'o', out: { o: 'file o' } }),
        cmd('b', { argv: ['cat', '$(x)'], stdout: 'o', in: { x: { type: 'file', from: 'a/o' } }, out: { o: 'file o' } }),
        cmd('c', { argv: ['cat', '$(x)', '$(x)'], stdout: 'o', in: { x: { type: 'file', from: 'a/o' } }, out: { o: 'file o' } }),
        cmd('d', { argv: ['cat', '$(x)', '$(y)'], stdout: 'o', in: { x: { type: 'file', from: 'b/o' }, y: { type: 'file', from: 'c/o' } }, out: { o: 'file o' } }),
      ],
      { outputs: { result: { type: 'file', from: 'd/o' } } },
    );
    const r = await run(wf);
    assert.equal(r.state, 'succeeded');
    assert.equal(fileText(r.outputs['result']), 'A\nA\nA\n');
    const ev = events(r.runDir);
    const at = (type: string, step: string) => ev.findIndex((e) => e.type === type && 'step' in e && e.step === step);
    for (const s of ['a', 'b', 'c', 'd']) assert.equal(ev.filter((e) => e.type === 'step-started' && e.step === s).length, 1);
    assert.ok(at('step-succeeded', 'a') < at('step-started', 'b'));
    assert.ok(at('step-succeeded', 'a') < at('step-started', 'c'));
    assert.ok(at('step-succeeded', 'b') < at('step-started', 'd'));
    assert.ok(at('step-succeeded', 'c') < at('step-started', 'd'));
    assert.equal(ev.at(-1)?.type, 'run-finished');
  });

  test('never runs more steps at once than the concurrency limit', async () => {
    const steps = Array.from({ length: 6 }, (_, i) => cmd(`s${i}`, { argv: ['sleep', '0.15'] }));
    const r = await run(workflow(steps), { concurrency: 2 });
    assert.equal(r.state, 'succeeded');
    let running = 0;
    let peak = 0;
    for (const e of events(r.runDir)) {
      if (e.type === 'step-started') peak = Math.max(peak, ++running);
      if (e.type === 'step-succeeded') running--;
    }
    assert.equal(peak, 2);
  });

  test('a step counts its threads against the limit: two 2-thread steps under a limit of 2 run one at a time', async () => {
    const wide = (id: string) => ({ ...cmd(id, { argv: ['sleep', '0.1'] }), requirements: { threads: 2, tee: 'none' as const } });
    const r = await run(workflow([wide('w1'), wide('w2'), cmd('n1', { argv: ['true'] })]), { concurrency: 2 });
    assert.equal(r.state, 'succeeded');
    let running = 0;
    for (const e of events(r.runDir)) {
      if (e.type === 'step-started') running++;
      if (e.type === 'step-succeeded') running--;
      assert.ok(running <= 1, 'a 2-thread step ran beside another step');
    }
  });

  test('a step with no outputs and a workflow with no steps both succeed', async () => {
    assert.equal((await run(workflow([]))).state, 'succeeded');
    assert.equal((await run(workflow([cmd('t', { argv: ['true'] })]))).state, 'succeeded');
  });

  test('commands get a fixed environment, not the master\'s', async () => {
    process.env['SEALFLOW_TEST_LEAK'] = 'leaked';
    try {
      const r = await run(workflow([cmd('e', { argv: ['env'], stdout: 'o', out: { o: 'string o' } })], { outputs: { o: { type: 'string', from: 'e/o' } } }));
      const env = String(r.outputs['o']);
      assert.doesNotMatch(env, /SEALFLOW_TEST_LEAK/);
      assert.match(env, /^TMPDIR=.*\/scratch\/e\.0\.1$/m);
      assert.match(env, /^SEALFLOW_THREADS=1$/m);
    } finally {
      delete process.env['SEALFLOW_TEST_LEAK'];
    }
  });

  test('argv templating passes values as separate arguments without a shell', async () => {
    const wf = workflow(
      [cmd('p', { argv: ['printf', '%s|', '$(words)', 'x-$(n)'], stdout: 'o', in: { words: { type: 'string[]', from: 'words' }, n: { type: 'number', from: 'n' } }, out: { o: 'string o' } })],
      { inputs: { words: 'string[]', n: 'number' }, outputs: { o: { type: 'string', from: 'p/o' } } },
    );
    const r = await run(wf, { inputs: { words: ['a b', '$HOME', ';rm'], n: 7 } });
    assert.equal(r.state, 'succeeded');
    assert.equal(r.outputs['o'], 'a b|$HOME|;rm|x-7|');
  });
});
