/**
 * docs/report.md "Resource usage": the worker measures what each attempt
 * used (CPU time, peak memory, threads) and the master journals it on
 * `step-succeeded` / `step-failed` as the worker's word. The steps here do a
 * fixed amount of work (CPU time counted by the process itself, memory
 * touched), so the assertions are lower bounds, never timings.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cmd, events, run, task, workflow } from './build.js';
import { REPO } from '../helpers/cli.js';
import type { StepFailed, StepSucceeded } from '../../src/engine/events.js';

const TASKS = path.join(REPO, 'test', 'fixtures', 'engine', 'usage-tasks.mts');
/** Touches 100 MiB, then spends 400 ms of its own CPU time (process.cpuUsage, not the clock). */
const BURN = `const b = Buffer.alloc(100 * 1024 * 1024, 1); const s = process.cpuUsage(); let n = 0;
for (;;) { for (let i = 0; i < 100000; i++) n = (n * 31 + i + b[i]) % 1000003; const d = process.cpuUsage(s); if (d.user + d.system >= 400000) break; }
process.exitCode = Number(process.argv[1] ?? 0);`;
const noProc = fs.existsSync('/proc/self/stat') ? false : 'SKIPPED LOUDLY: no /proc on this machine, and command steps are measured from /proc (Linux only)';
if (noProc) process.stderr.write(`\n*** ${noProc} ***\n\n`);

describe('resource usage reported by the worker', { skip: noProc }, () => {
  test('a command step that burns CPU and touches 100 MiB journals cpuMs and maxRssKiB at least that large, and its threads', async () => {
    const r = await run(workflow([cmd('burn', { argv: [process.execPath, '-e', BURN] })]), { concurrency: 1 });
    assert.equal(r.state, 'succeeded', r.message);
    const ok = events(r.runDir).find((e): e is StepSucceeded => e.type === 'step-succeeded' && e.step === 'burn');
    const u = ok?.usage;
    assert.ok(u, 'step-succeeded carries usage');
    assert.ok(u.cpuMs >= 350, `cpuMs ${u.cpuMs} ≥ 350`);
    assert.ok((u.maxRssKiB ?? 0) >= 100 * 1024, `maxRssKiB ${u.maxRssKiB} ≥ 100 MiB`);
    assert.ok((u.threads ?? 0) >= 2, `threads ${u.threads}: node runs more than one thread`);
  });

  test('a failed command step counts the CPU of the children its shell ran, and journals it on step-failed', async () => {
    const argv = ['sh', '-c', '"$0" -e "$1" 0; "$0" -e "$1" 0; exit 3', process.execPath, BURN];
    const r = await run(workflow([cmd('twice', { argv })]), { concurrency: 1 });
    assert.equal(r.state, 'failed');
    const f = events(r.runDir).find((e): e is StepFailed => e.type === 'step-failed' && e.step === 'twice');
    assert.equal(f?.exitStatus, 3);
    const u = f?.usage;
    assert.ok(u, 'step-failed carries usage');
    assert.ok(u.cpuMs >= 750, `cpuMs ${u.cpuMs} ≥ 750: both children's CPU time counted`);
    assert.ok((u.maxRssKiB ?? 0) >= 100 * 1024, `maxRssKiB ${u.maxRssKiB}`);
  });

  test("a TypeScript task is charged the executor's CPU time over the task, and reports no thread count", async () => {
    const r = await run(workflow([task('spin', TASKS, 'burn', { out: { n: 'number' } })]), { concurrency: 1 });
    assert.equal(r.state, 'succeeded', r.message);
    const ok = events(r.runDir).find((e): e is StepSucceeded => e.type === 'step-succeeded' && e.step === 'spin');
    const u = ok?.usage;
    assert.ok(u, 'step-succeeded carries usage');
    assert.ok(u.cpuMs >= 400, `cpuMs ${u.cpuMs} ≥ 400`);
    assert.ok((u.maxRssKiB ?? 0) > 0);
    assert.equal(u.threads, undefined);
  });
});
