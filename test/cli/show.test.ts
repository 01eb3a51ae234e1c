/**
 * `sealflow show` (issue 11 §9): it lists the outputs where `sealflow run`
 * published them (before, the step instance files under `steps/…` while run
 * had printed `outputs/…`), with the receipt beside them, also for `--out`;
 * and its duration sums the sessions' running time (before, the idle time
 * between a run and its resume was counted).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { RunEvent } from '../../src/engine/events.js';
import { summarize } from '../../src/engine/inspect.js';
import { runCli } from '../helpers/cli.js';
import { workdirWith } from './run-helpers.js';

const HOUR = 3_600_000;
const T0 = 1_800_000_000_000;
const started: RunEvent = { type: 'run-started', t: T0, runId: 'r', workflow: '/w/flow.yaml', name: 'w', steps: ['a'], inputs: {}, concurrency: 1, keepGoing: false, pid: 1, host: 'elsewhere' };
const resumed = (t: number): RunEvent => ({ type: 'run-resumed', t, workflow: '/w/flow.yaml', pid: 2, host: 'elsewhere' });
const finished = (t: number, state: 'failed' | 'succeeded'): RunEvent => ({ type: 'run-finished', t, state, outputs: {} });

describe('sealflow show: duration', () => {
  test('sums the running time of each session and leaves out the idle time between a run and its resume', () => {
    const s = summarize('r', [started, finished(T0 + 2_000, 'failed'), resumed(T0 + 5 * HOUR), finished(T0 + 5 * HOUR + 3_000, 'succeeded')]);
    assert.equal(s.activeMs, 5_000);
  });

  test('a session whose master was killed counts up to its last journalled event', () => {
    const step: RunEvent = { type: 'step-skipped', t: T0 + 1_500, step: 'a', index: 0, reason: 'x' } as RunEvent;
    const s = summarize('r', [started, step, resumed(T0 + 2 * HOUR), finished(T0 + 2 * HOUR + 500, 'succeeded')]);
    assert.equal(s.activeMs, 2_000);
  });

  test('the printed duration is the running time, with the number of sessions', async () => {
    const { cwd } = workdirWith('chain');
    const dir = path.join(cwd, '.sealflow', 'runs', 'r');
    fs.mkdirSync(dir, { recursive: true });
    const events = [started, finished(T0 + 2_000, 'failed'), resumed(T0 + 5 * HOUR), finished(T0 + 5 * HOUR + 3_000, 'succeeded')];
    fs.writeFileSync(path.join(dir, 'journal.jsonl'), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    const r = await runCli(['show', 'r'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /duration 5\.00 s running, over 2 sessions/);
  });
});

describe('sealflow show: outputs', () => {
  test('lists the published outputs as run printed them, not the step instance files', async () => {
    const { cwd, flow } = workdirWith('chain');
    const run = await runCli(['run', '--no-encrypt', flow], { cwd });
    assert.equal(run.code, 0, run.stderr);
    const id = /run (\S+) succeeded/.exec(run.stdout)?.[1] ?? '';
    const printed = /result: (\S+)/.exec(run.stdout)?.[1];
    const show = await runCli(['show', id], { cwd });
    assert.equal(show.code, 0, show.stderr);
    assert.equal(/ {2}result: (\S+)/.exec(show.stdout)?.[1], printed);
    assert.match(show.stdout, new RegExp(`receipt: \\.sealflow/runs/${id}/outputs/receipt\\.json`));
    assert.match(show.stdout, /step instance files: \.sealflow\/runs\/\S+\/steps\/<step>\.<index>\//);
  });

  test('with --out, lists the outputs and the receipt in that directory', async () => {
    const { cwd, flow } = workdirWith('chain');
    const run = await runCli(['run', '--no-encrypt', flow, '--out', 'results'], { cwd });
    assert.equal(run.code, 0, run.stderr);
    const id = /run (\S+) succeeded/.exec(run.stdout)?.[1] ?? '';
    const show = await runCli(['show', id], { cwd });
    assert.match(show.stdout, / {2}result: results\/result\.txt/);
    assert.match(show.stdout, /receipt: results\/receipt\.json/);
  });
});
