import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { journalOf, startCli, waitGone, workdirWith } from './run-helpers.js';

describe('sealflow run', () => {
  test('runs a workflow, prints the run id and outputs, and records it for runs and show', async () => {
    const { cwd, flow } = workdirWith('chain');
    const r = await runCli(['run', '--no-encrypt', flow], { cwd });
    assert.equal(r.code, 0, r.stderr);
    const id = /run (\S+) succeeded/.exec(r.stdout)?.[1] ?? '';
    assert.ok(id, r.stdout);
    assert.match(r.stdout, /result: \.sealflow\/runs\/\S+\/outputs\/result\.txt/);
    assert.equal(fs.readFileSync(path.join(cwd, '.sealflow', 'runs', id, 'outputs', 'result.txt'), 'utf8'), '11\n');
    assert.match(r.stderr, /count\[2\] succeeded/, 'plain progress lines when stderr is not a TTY');

    const runs = await runCli(['runs'], { cwd });
    assert.equal(runs.code, 0);
    assert.match(runs.stdout, new RegExp(`${id}\\s+succeeded\\s+chain\\s+5/5`));
    const show = await runCli(['show', id], { cwd });
    assert.equal(show.code, 0);
    assert.match(show.stdout, /count\[1\]\s+succeeded\s+local-\d@\S+\s+\d+ ms\s+0\s+1/);
    const bad = await runCli(['show', 'no-such-run'], { cwd });
    assert.equal(bad.code, 2);
  });

  test('--json prints only JSON lines: the events, then the result with the published outputs', async () => {
    const { cwd, flow } = workdirWith('chain');
    const r = await runCli(['run', '--no-encrypt', flow, '--json', '--out', 'out'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; outputs?: Record<string, { path: string }> });
    assert.equal(lines[0]?.type, 'run-started');
    assert.equal(lines.at(-2)?.type, 'run-finished');
    const result = lines.at(-1);
    assert.equal(result?.type, 'result');
    assert.equal(result?.outputs?.['result']?.path, path.join(cwd, 'out', 'result.txt'));
    assert.equal(fs.readFileSync(path.join(cwd, 'out', 'result.txt'), 'utf8'), '11\n');
  });

  test('invalid input exits 2 and creates no run', async () => {
    const { cwd, flow } = workdirWith('chain');
    for (const args of [
      ['run', '--no-encrypt', path.join(cwd, 'nowhere.yaml')],
      ['run', '--no-encrypt', flow, '--input', 'nosuch=1'],
      ['run', '--no-encrypt', flow, '--concurrency', '0'],
      ['run', '--no-encrypt', '--resume', 'no-such-run'],
    ]) {
      const r = await runCli(args, { cwd });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.notEqual(r.stderr, '');
      assert.equal(fs.existsSync(path.join(cwd, '.sealflow')), false, `${args.join(' ')} created a run`);
    }
  });

  test('a failing step exits 1 and shows its exit status, stderr tail and how to resume', async () => {
    const { cwd, flow } = workdirWith('chain');
    fs.writeFileSync(path.join(cwd, 'empty.txt'), '');
    const r = await runCli(['run', '--no-encrypt', flow, '--input', 'pause=oops'], { cwd });
    assert.equal(r.code, 2, 'a number input given text is invalid input');
    const f = await runCli(['run', '--no-encrypt', flow, '--input', 'pause=-1'], { cwd });
    assert.equal(f.code, 1, f.stderr);
    assert.match(f.stderr, /step count\[\d\] failed \(exit status 1\): sh exited with status 1/);
    assert.match(f.stderr, /\| sleep: invalid/);
    assert.match(f.stderr, /resume with: sealflow run --resume \S+/);
  });

  test('SIGINT cancels the run: children killed, journal closed, run marked cancelled and resumable, exit status 130', async () => {
    const { cwd, flow } = workdirWith('chain');
    const cli = startCli(['run', '--no-encrypt', flow, '--json', '--input', 'pause=30'], cwd);
    const started = await cli.waitFor((e) => e.type === 'step-started' && e.step === 'count');
    const workers = cli.events.flatMap((e) => (e.type === 'worker-started' ? [e.pid] : []));
    assert.ok(started);
    cli.child.kill('SIGINT');
    const x = await cli.exited;
    assert.equal(x.code, 130, x.stderr);
    const runId = cli.events[0]?.type === 'run-started' ? cli.events[0].runId : '';
    const ev = journalOf(cwd, runId);
    const last = ev.at(-1);
    assert.equal(last?.type, 'run-finished');
    assert.equal(last?.type === 'run-finished' ? last.state : '', 'cancelled');
    assert.ok(ev.some((e) => e.type === 'step-cancelled' && e.step === 'count'));
    assert.deepEqual(await waitGone(workers), [], 'workers exited');
    const show = await runCli(['show', runId], { cwd });
    assert.match(show.stdout, /cancelled/);
    assert.match(show.stdout, /resume with: sealflow run --resume/);
    const resumed = await runCli(['run', '--no-encrypt', '--resume', runId, '--input', 'pause=0'], { cwd });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /result: .*result\.txt/);
  });

  test('SIGTERM cancels the run the same way and exits 143', async () => {
    const { cwd, flow } = workdirWith('chain');
    const cli = startCli(['run', '--no-encrypt', flow, '--json', '--input', 'pause=30'], cwd);
    await cli.waitFor((e) => e.type === 'step-started' && e.step === 'count');
    cli.child.kill('SIGTERM');
    const x = await cli.exited;
    assert.equal(x.code, 143, x.stderr);
    const runId = cli.events[0]?.type === 'run-started' ? cli.events[0].runId : '';
    const last = journalOf(cwd, runId).at(-1);
    assert.equal(last?.type === 'run-finished' ? last.state : last?.type, 'cancelled');
  });
});
