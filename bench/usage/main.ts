/**
 * bench/usage: what measuring a command step costs the executor
 * (docs/report.md "Resource usage"). For process groups of 1, 3 and 9
 * processes (one `sleep`, a shell with two, a shell with eight) and a Node
 * process (7 threads), one sample of the group (`sampleGroup`, what the
 * executor does every 100 ms) is taken K times, beside its peer in the same
 * invocation: one read of the leader's /proc/<pid>/stat, the least any
 * /proc sampler does. Reported: CPU time (user + system of this process,
 * process.cpuUsage) per sample, and that as a share of one core at one
 * sample per 100 ms.
 *
 * Then the per-step cost as the executor pays it: S commands (`true`),
 * spawned detached and waited for one at a time as command.ts does, with
 * measureGroup on and off, alternating in blocks of 50 (its peer: the same
 * spawns unmeasured). Reported: this process's CPU time per step (children
 * excluded) and wall time per step.
 *
 *   node dist/bench/usage/main.js [--k 2000] [--s 400]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { measureGroup, SAMPLE_INTERVAL_MS, sampleGroup } from '../../src/worker/executor/measure.js';
import { helpIfAsked } from '../help.js';

helpIfAsked(`usage: node dist/bench/usage/main.js [--k 2000] [--s 400]

Measures what sampling a command step's resource use costs the executor (docs/report.md, "Resource
usage"): K samples of process groups of 1, 3 and 9 processes and a Node process, beside one read of the
leader's /proc/<pid>/stat; then S \`true\` commands with measurement on and off, alternating in blocks
of 50: CPU time per sample and per step.`);

const kAt = process.argv.indexOf('--k');
const K = kAt >= 0 ? Number(process.argv[kAt + 1]) : 2000;
const sAt = process.argv.indexOf('--s');
const S = sAt >= 0 ? Number(process.argv[sAt + 1]) : 400;

/** One command step's process, as command.ts runs it: detached (its own group), waited for; measured or not. */
function step(measured: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('true', [], { detached: true, stdio: 'ignore' });
    const m = measured && child.pid !== undefined ? measureGroup(child.pid) : undefined;
    child.on('error', reject);
    child.on('exit', () => {
      m?.stop();
      resolve();
    });
  });
}

const groups: [string, string[]][] = [
  ['1 process (sleep)', ['sleep', '600']],
  ['3 processes (sh + 2 sleep)', ['sh', '-c', 'sleep 600 & sleep 600 & wait']],
  ['9 processes (sh + 8 sleep)', ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 600 & done; wait']],
  ['node (1 process, 7 threads)', [process.execPath, '-e', 'setTimeout(() => {}, 600000)']],
];

function cpuUs(f: () => void): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < K; i++) f();
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / K;
}

const children: ChildProcess[] = [];
const rows: string[] = [];
try {
  for (const [label, argv] of groups) {
    const child = spawn(argv[0] as string, argv.slice(1), { detached: true, stdio: 'ignore' });
    children.push(child);
    const pgid = child.pid as number;
    // Ready when the group has all its processes (the shells start their sleeps).
    const want = label.startsWith('9') ? 9 : label.startsWith('3') ? 3 : 1;
    const known = new Set([pgid]);
    while (sampleGroup(pgid, known).processes < want) await new Promise((r) => setTimeout(r, 20));
    if (label.startsWith('node')) while (sampleGroup(pgid, new Set([pgid])).threads < 7) await new Promise((r) => setTimeout(r, 20));
    const g = sampleGroup(pgid, new Set([pgid]));
    cpuUs(() => sampleGroup(pgid, new Set([pgid]))); // warm-up
    const peer = cpuUs(() => fs.readFileSync(`/proc/${pgid}/stat`, 'latin1'));
    const one = cpuUs(() => sampleGroup(pgid, new Set([pgid])));
    const share = one / 1000 / SAMPLE_INTERVAL_MS;
    rows.push(`| ${label} | ${g.processes} | ${g.threads} | ${one.toFixed(1)} | ${peer.toFixed(1)} | ${(share * 100).toFixed(3)} % |`);
  }
} finally {
  for (const c of children) if (c.pid !== undefined) try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ }
}
const per = { on: { cpu: 0, wall: 0, n: 0 }, off: { cpu: 0, wall: 0, n: 0 } };
for (let i = 0; i < 2; i++) await step(i === 0); // warm-up
for (let done = 0; done < S; done += 100) {
  for (const k of ['off', 'on'] as const) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let j = 0; j < 50; j++) await step(k === 'on');
    const d = process.cpuUsage(c0);
    per[k].cpu += d.user + d.system;
    per[k].wall += (performance.now() - t0) * 1000;
    per[k].n += 50;
  }
}
console.log(`usage sampling: ${K} samples each; ${os.cpus().length} cores; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
console.log('| group | processes | threads | µs CPU per sample | peer: one stat read, µs CPU | share of a core at 1 sample / 100 ms |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
console.log(`\nper command step (\`true\`, spawned detached and waited for), ${per.on.n} measured and ${per.off.n} not, alternating in blocks of 50:\n`);
console.log('| | µs CPU of this process per step | µs wall per step |');
console.log('|---|---:|---:|');
for (const k of ['off', 'on'] as const) console.log(`| ${k === 'on' ? 'measured (measureGroup)' : 'peer: not measured'} | ${(per[k].cpu / per[k].n).toFixed(0)} | ${(per[k].wall / per[k].n).toFixed(0)} |`);
