/**
 * bench/workflow-load: how long loading (parse + validate) a workflow of N
 * command steps fanning in to one gather step takes, cold (a fresh node
 * process per measurement, as `sealflow run` pays it) and warm (in-process,
 * repeated), next to the `yaml` package's parse alone on the same text.
 *
 *   node dist/bench/workflow-load/main.js [N ...] [--runs R]
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWorkflow } from '../../src/workflow/index.js';
import { helpIfAsked } from '../help.js';

helpIfAsked(`usage: node dist/bench/workflow-load/main.js [N ...] [--runs R]

Measures loading (parse + validate) a workflow of N command steps fanning in to one gather step, cold
(a fresh node process each time, as \`sealflow run\` pays it) and warm (in process, repeated), beside the
yaml package's parse alone on the same text.`);

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

/** The workflow shape of bench/overhead: N `true` steps and one step reading all their outputs. */
export function fanInWorkflow(n: number): string {
  const lines = ['name: fan-in', 'inputs:', '  x: { type: number, default: 1 }', 'steps:'];
  for (let i = 0; i < n; i++) {
    lines.push(`  s${i}:`, '    command: [true, $(x)]', '    in: { x: x }', '    out:', '      o: { type: file, glob: out.txt }', '    requirements: { threads: 1, memory: 16MiB }');
  }
  lines.push('  gather:', '    command: [cat, $(all)]', '    in:', `      all: [${Array.from({ length: n }, (_, i) => `s${i}/o`).join(', ')}]`, '    stdout: all.txt', '    out:', '      all: { type: file, glob: all.txt }');
  return `${lines.join('\n')}\n`;
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${(s[0] ?? 0).toFixed(1)} ms, median ${(s[s.length >> 1] ?? 0).toFixed(1)} ms`;
}

function cold(mode: string, file: string, runs: number): { load: number[]; imp: number[] } {
  const load: number[] = [];
  const imp: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = JSON.parse(execFileSync(process.execPath, [CHILD, mode, file], { encoding: 'utf8' })) as { loadMs: number; importMs: number };
    load.push(r.loadMs);
    imp.push(r.importMs);
  }
  return { load, imp };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const ri = args.indexOf('--runs');
  const runs = ri >= 0 ? Number(args[ri + 1]) : 7;
  const sizes = args.filter((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--runs').map(Number);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sealflow-bench-load-'));
  try {
    console.log(`load average: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${os.availableParallelism()} cores; ${runs} runs each`);
    for (const n of sizes.length > 0 ? sizes : [100, 1000]) {
      const file = path.join(dir, `flow-${n}.yaml`);
      const text = fanInWorkflow(n);
      await writeFile(file, text);
      const s = cold('sealflow', file, runs);
      const y = cold('yaml', file, runs);
      const warm: number[] = [];
      for (let i = 0; i < runs * 3; i++) {
        const t = performance.now();
        await loadWorkflow(file);
        warm.push(performance.now() - t);
      }
      console.log(`N=${n} (${n + 1} steps, ${(text.length / 1024).toFixed(0)} KiB):`);
      console.log(`  sealflow loadWorkflow, cold: ${stats(s.load)} (+ module import ${stats(s.imp)})`);
      console.log(`  sealflow loadWorkflow, warm: ${stats(warm)}`);
      console.log(`  yaml parseDocument alone, cold: ${stats(y.load)} (+ module import ${stats(y.imp)})`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
