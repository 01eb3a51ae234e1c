import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cmd, events, fileText, run, tmpDir, workflow } from './build.js';
import type { Workflow } from '../../src/workflow/model.js';
import { until } from '../faults/harness.js';
import { alive } from '../cli/run-helpers.js';

function chain(marker: string, second = 'cat $1 $1'): Workflow {
  return workflow(
    [
      cmd('one', { argv: ['sh', '-c', 'echo one >> "$1"; cat "$2"', 'sh', '$(m)', '$(src)'], in: { m: { type: 'string', from: 'marker' }, src: { type: 'file', from: 'data' } }, stdout: 'o', out: { o: 'file o' } }),
      cmd('two', { argv: ['sh', '-c', `echo two >> "$2"; ${second}`, 'sh', '$(x)', '$(m)'], in: { x: { type: 'file', from: 'one/o' }, m: { type: 'string', from: 'marker' } }, stdout: 'o', out: { o: 'file o' } }),
    ],
    { inputs: { marker: 'string', data: 'file' }, outputs: { o: { type: 'file', from: 'two/o' } } },
  );
}

describe('resume', () => {
  test('reuses instances whose code and input contents are unchanged, and re-runs those that changed', async () => {
    const dir = tmpDir();
    const stateDir = path.join(dir, 'state');
    const marker = path.join(dir, 'marker');
    const data = path.join(dir, 'data.txt');
    fs.writeFileSync(data, 'v1\n');
    const inputs = { marker, data: { class: 'File' as const, path: data } };
    const first = await run(chain(marker), { stateDir, inputs });
    assert.equal(first.state, 'succeeded');
    assert.equal(fileText(first.outputs['o']), 'v1\nv1\n');

    const again = await run(chain(marker), { stateDir, inputs, resumeId: first.runId });
    assert.equal(again.state, 'succeeded');
    assert.equal(fs.readFileSync(marker, 'utf8'), 'one\ntwo\n', 'nothing executed again');
    const tail = events(again.runDir).slice(events(again.runDir).findIndex((e) => e.type === 'run-resumed'));
    assert.deepEqual(tail.filter((e) => e.type === 'step-reused').map((e) => ('step' in e ? e.step : '')), ['one', 'two']);

    // Changed code of the second step: only it runs.
    const changed = await run(chain(marker, 'cat $1'), { stateDir, inputs, resumeId: first.runId });
    assert.equal(fileText(changed.outputs['o']), 'v1\n');
    assert.equal(fs.readFileSync(marker, 'utf8'), 'one\ntwo\ntwo\n');

    // Changed input content: both run.
    fs.writeFileSync(data, 'v2\n');
    const changedInput = await run(chain(marker, 'cat $1'), { stateDir, inputs, resumeId: first.runId });
    assert.equal(fileText(changedInput.outputs['o']), 'v2\n');
    assert.equal(fs.readFileSync(marker, 'utf8'), 'one\ntwo\ntwo\none\ntwo\n');
  });

  test('a cancelled run kills its children, closes its journal and resumes to the same result', async () => {
    const dir = tmpDir();
    const stateDir = path.join(dir, 'state');
    const pidFile = path.join(dir, 'pid');
    const wf = (sleep: string) =>
      workflow(
        [
          cmd('quick', { argv: ['echo', 'q'], stdout: 'o', out: { o: 'string o' } }),
          cmd('slow', { argv: ['sh', '-c', `echo $$ > "$1"; exec sleep ${sleep}`, 'sh', '$(p)'], in: { p: { type: 'string', from: 'pidFile' }, q: { type: 'string', from: 'quick/o' } } }),
          cmd('end', { argv: ['echo', 'done'], in: { after: { type: 'string?', from: 'quick/o', optional: true }, w: { type: 'boolean', from: 'slowDone', default: true } }, stdout: 'o', out: { o: 'string o' } }),
        ],
        { inputs: { pidFile: 'string', slowDone: 'boolean' }, outputs: { o: { type: 'string', from: 'end/o' } } },
      );
    const ac = new AbortController();
    const pending = run(wf('30'), {
      stateDir,
      inputs: { pidFile },
      signal: ac.signal,
      onEvent: (e) => {
        // Cancel once slow's command is running (it has written its pid), however long it took to start.
        if (e.type === 'step-started' && e.step === 'slow') void until(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').endsWith('\n')).then(() => ac.abort());
      },
    });
    const r = await pending;
    assert.equal(r.state, 'cancelled');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.ok(await until(() => !alive(pid)), 'the sleeping child was killed');
    const ev = events(r.runDir);
    assert.equal(ev.at(-1)?.type, 'run-finished');
    assert.ok(ev.some((e) => e.type === 'step-cancelled' && e.step === 'slow'));

    const resumed = await run(wf('0'), { stateDir, inputs: { pidFile }, resumeId: r.runId });
    assert.equal(resumed.state, 'succeeded');
    const after = events(resumed.runDir);
    const from = after.findIndex((e) => e.type === 'run-resumed');
    assert.ok(after.slice(from).some((e) => e.type === 'step-reused' && e.step === 'quick'));
    assert.ok(after.slice(from).some((e) => e.type === 'step-started' && e.step === 'slow'));
  });
});
