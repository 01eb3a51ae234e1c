import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cmd, events, fileText, run, task, tmpDir, workflow } from './build.js';
import { REPO } from '../helpers/cli.js';

const TASKS = path.join(REPO, 'test', 'fixtures', 'engine', 'tasks.mts');

describe('scatter', () => {
  test('runs one instance per element and gathers outputs in element order', async () => {
    const wf = workflow(
      [
        cmd('sq', {
          argv: ['sh', '-c', 'sleep 0.0$1; echo $(($1 * $1))', 'sh', '$(n)'],
          stdout: 'o',
          in: { n: { type: 'number', from: 'ns' } },
          scatter: ['n'],
          out: { sq: 'number o', f: 'file o' },
        }),
      ],
      { inputs: { ns: 'number[]' }, outputs: { squares: { type: 'number[]', from: 'sq/sq' }, files: { type: 'file[]', from: 'sq/f' } } },
    );
    const r = await run(wf, { inputs: { ns: [5, 1, 4, 2, 3] } });
    assert.equal(r.state, 'succeeded');
    assert.deepEqual(r.outputs['squares'], [25, 1, 16, 4, 9]);
    assert.deepEqual((r.outputs['files'] as unknown[]).map((f) => fileText(f as never)), ['25\n', '1\n', '16\n', '4\n', '9\n']);
    assert.ok(events(r.runDir).some((e) => e.type === 'step-expanded' && e.count === 5));
  });

  test('over an empty array succeeds with empty gathered outputs', async () => {
    const wf = workflow([cmd('e', { argv: ['echo', '$(n)'], in: { n: { type: 'number', from: 'ns' } }, scatter: ['n'], stdout: 'o', out: { o: 'file o' } })], {
      inputs: { ns: 'number[]' },
      outputs: { o: { type: 'file[]', from: 'e/o' } },
    });
    const r = await run(wf, { inputs: { ns: [] } });
    assert.equal(r.state, 'succeeded');
    assert.deepEqual(r.outputs['o'], []);
  });

  test('over several ports takes the dot product and refuses unequal lengths', async () => {
    const step = cmd('p', { argv: ['echo', '$(a)$(b)'], in: { a: { type: 'string', from: 'as' }, b: { type: 'string', from: 'bs' } }, scatter: ['a', 'b'], stdout: 'o', out: { o: 'string o' } });
    const wf = workflow([step], { inputs: { as: 'string[]', bs: 'string[]' }, outputs: { o: { type: 'string[]', from: 'p/o' } } });
    const ok = await run(wf, { inputs: { as: ['x', 'y'], bs: ['1', '2'] } });
    assert.deepEqual(ok.outputs['o'], ['x1', 'y2']);
    const bad = await run(wf, { inputs: { as: ['x', 'y'], bs: ['1'] } });
    assert.equal(bad.state, 'failed');
    assert.match(bad.failures[0]?.message ?? '', /step p: scatter inputs have different lengths/);
  });
});

describe('when, pickValue and defaults', () => {
  test('a step whose when input is false is skipped, its outputs are null and a default takes over downstream', async () => {
    const wf = workflow(
      [
        cmd('maybe', { argv: ['echo', 'ran'], in: { go: { type: 'boolean', from: 'go' } }, when: 'go', stdout: 'o', out: { o: 'string o' } }),
        cmd('after', { argv: ['echo', 'got $(v)'], in: { v: { type: 'string', from: 'maybe/o', default: 'fallback' } }, stdout: 'o', out: { o: 'string o' } }),
      ],
      { inputs: { go: 'boolean' }, outputs: { o: { type: 'string', from: 'after/o' } } },
    );
    const skipped = await run(wf, { inputs: { go: false } });
    assert.equal(skipped.state, 'succeeded');
    assert.equal(skipped.outputs['o'], 'got fallback');
    assert.ok(events(skipped.runDir).some((e) => e.type === 'step-skipped' && e.step === 'maybe'));
    const ran = await run(wf, { inputs: { go: true } });
    assert.equal(ran.outputs['o'], 'got ran');
  });

  test('pickValue first_non_null chooses the branch that ran; all_non_null drops skipped scatter instances', async () => {
    const wf = workflow(
      [
        cmd('left', { argv: ['echo', 'L'], in: { go: { type: 'boolean', from: 'goLeft' } }, when: 'go', stdout: 'o', out: { o: 'string o' } }),
        cmd('right', { argv: ['echo', 'R'], in: { go: { type: 'boolean', from: 'goRight' } }, when: 'go', stdout: 'o', out: { o: 'string o' } }),
        cmd('odd', { argv: ['echo', '$(n)'], in: { n: { type: 'number', from: 'ns' }, go: { type: 'boolean', from: 'flags' } }, scatter: ['n', 'go'], when: 'go', stdout: 'o', out: { o: 'number o' } }),
      ],
      {
        inputs: { goLeft: 'boolean', goRight: 'boolean', ns: 'number[]', flags: 'boolean[]' },
        outputs: {
          side: { type: 'string', from: ['left/o', 'right/o'], pickValue: 'first_non_null' },
          odds: { type: 'number[]', from: 'odd/o', pickValue: 'all_non_null' },
        },
      },
    );
    const r = await run(wf, { inputs: { goLeft: false, goRight: true, ns: [1, 2, 3], flags: [true, false, true] } });
    assert.equal(r.state, 'succeeded');
    assert.equal(r.outputs['side'], 'R');
    assert.deepEqual(r.outputs['odds'], [1, 3]);
  });
});

describe('TypeScript tasks', () => {
  test('run in a worker process from the run bundle, with files as paths and ctx.log going to the step log', async () => {
    const dir = tmpDir();
    const input = path.join(dir, 'in.txt');
    fs.writeFileSync(input, 'hello tasks\n');
    const wf = workflow(
      [
        task('up', TASKS, 'upper', { in: { text: { type: 'file', from: 'text' } }, out: { out: 'file', length: 'number' } }),
        task('j', TASKS, 'join', { in: { parts: { type: 'string[]', from: 'parts' }, sep: { type: 'string', default: '+' } }, out: { joined: 'string' } }),
      ],
      { inputs: { text: 'file', parts: 'string[]' }, outputs: { up: { type: 'file', from: 'up/out' }, n: { type: 'number', from: 'up/length' }, j: { type: 'string', from: 'j/joined' } } },
    );
    const r = await run(wf, { inputs: { text: { class: 'File', path: input }, parts: ['a', 'b', 'c'] } });
    assert.equal(r.state, 'succeeded', JSON.stringify(r.failures));
    assert.equal(fileText(r.outputs['up']), 'HELLO TASKS\n');
    assert.equal(r.outputs['n'], 12);
    assert.equal(r.outputs['j'], 'a+b+c');
    assert.ok(fs.existsSync(r.runDir.bundle));
    assert.match(fs.readFileSync(`${r.runDir.logBase('up', 0)}.err`, 'utf8'), /upper: 12 chars/);
  });

  test('an optional task input the step does not wire arrives as null', async () => {
    const r = await run(workflow([task('o', TASKS, 'optional', { out: { got: 'string' } })], { outputs: { got: { type: 'string', from: 'o/got' } } }));
    assert.equal(r.outputs['got'], 'null');
  });

  test('runs in an executor process, not in the master', async () => {
    const r = await run(workflow([task('w', TASKS, 'whoami', { out: { pid: 'number' } })], { outputs: { pid: { type: 'number', from: 'w/pid' } } }));
    assert.equal(typeof r.outputs['pid'], 'number');
    assert.notEqual(r.outputs['pid'], process.pid);
  });

  test('on resume, only steps whose task code (or a module it imports) changed run again', async () => {
    const dir = tmpDir();
    fs.cpSync(path.join(REPO, 'test', 'fixtures', 'engine', 'versioned'), path.join(dir, 'tasks'), { recursive: true });
    const wf = workflow(
      [
        task('a', path.join(dir, 'tasks', 'a.mts'), 'a', { in: { x: { type: 'string', from: 'x' } }, out: { y: 'string' } }),
        task('b', path.join(dir, 'tasks', 'b.mts'), 'b', { in: { y: { type: 'string', from: 'a/y' } }, out: { z: 'string' } }),
      ],
      { inputs: { x: 'string' }, outputs: { z: { type: 'string', from: 'b/z' } } },
    );
    const stateDir = path.join(dir, 'state');
    const first = await run(wf, { stateDir, inputs: { x: 'in' } });
    assert.equal(first.outputs['z'], 'in-a1-b1');
    const started = () => {
      const ev = events(first.runDir);
      return ev.slice(ev.map((e) => e.type).lastIndexOf('run-resumed')).filter((e) => e.type === 'step-started').map((e) => ('step' in e ? e.step : ''));
    };
    fs.writeFileSync(path.join(dir, 'tasks', 'b.mts'), fs.readFileSync(path.join(dir, 'tasks', 'b.mts'), 'utf8').replace('-b1', '-b2'));
    const second = await run(wf, { stateDir, inputs: { x: 'in' }, resumeId: first.runId });
    assert.equal(second.outputs['z'], 'in-a1-b2');
    assert.deepEqual(started(), ['b']);
    fs.writeFileSync(path.join(dir, 'tasks', 'shared.mjs'), "export const suffix = '2';\n");
    const third = await run(wf, { stateDir, inputs: { x: 'in' }, resumeId: first.runId });
    assert.equal(third.outputs['z'], 'in-a2-b2');
    assert.deepEqual(started(), ['a', 'b']);
  });

  test('a task that throws fails its step with the error message and stack', async () => {
    const r = await run(workflow([task('b', TASKS, 'boom', { out: { x: 'string' } })]));
    assert.equal(r.state, 'failed');
    assert.match(r.failures[0]?.message ?? '', /task boom failed: the task exploded on purpose/);
    assert.match(r.failures[0]?.stderrTail ?? '', /Error: the task exploded on purpose/);
  });
});
