/**
 * Same-run comparison of each seed example's native baseline and `sealflow
 * run` as the example's sealflow.yaml configures it (attested `sim` workers,
 * every file encrypted; `sim` is not a TEE), on inputs the catalog prepares:
 *
 *   node dist/bench/examples/main.js [--runs 1] [--data /tmp/sealflow-bench-data] [name=size ...]
 *   e.g.  node dist/bench/examples/main.js word-count=1GB distributed-k-means=1e7 --runs 3
 *
 * Without name=size pairs: every example at its quick size. Both sides run
 * as fresh `node` processes; wall time from spawn to exit; median of --runs.
 * Prints a Markdown table and the load average. Informal: the full harness
 * (`sealflow bench`) is issue 7's.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EXAMPLES } from '../../examples/catalog.js';
import { helpIfAsked } from '../help.js';

helpIfAsked(`usage: node dist/bench/examples/main.js [--runs 1] [--data DIR] [name=size ...]
  e.g. node dist/bench/examples/main.js word-count=1GB distributed-k-means=1e7 --runs 3

Measures each seed example's native baseline beside \`sealflow run\` as the example's sealflow.yaml
configures it (attested sim workers, every file encrypted; sim is not a TEE) on inputs the catalog prepares (default: every example at its quick size; data under
/tmp/sealflow-bench-data unless --data): wall time from spawn to exit, median of --runs, as a Markdown
table with the load average. The full harness is \`sealflow bench\`.`);

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(DIST, 'src', 'cli', 'main.js');
const CATALOG = path.join(DIST, 'examples', 'catalog.js');

function timed(argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Number(process.hrtime.bigint() - t) / 1e9);
      else reject(new Error(`${argv.slice(0, 3).join(' ')} … exited ${code}:\n${err}`));
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { runs: { type: 'string', default: '1' }, data: { type: 'string', default: path.join(tmpdir(), 'sealflow-bench-data') } },
  });
  const runs = Number(values.runs);
  const jobs = positionals.length > 0
    ? positionals.map((p) => p.split('=') as [string, string])
    : Object.values(EXAMPLES).map((e) => [e.name, e.sizes.quick[0]!] as [string, string]);
  const rows: string[] = [];
  for (const [name, size] of jobs) {
    const ex = EXAMPLES[name];
    if (!ex || !size) throw new Error(`unknown example '${name}' (have ${Object.keys(EXAMPLES).join(', ')})`);
    process.stderr.write(`${name} ${size}: preparing inputs…\n`);
    const inputs = await ex.prepare(size, values.data);
    const native: number[] = [];
    const sealflow: number[] = [];
    for (let r = 0; r < runs; r++) {
      const work = await mkdtemp(path.join(tmpdir(), 'sealflow-bench-'));
      try {
        const script = `const { EXAMPLES } = await import(${JSON.stringify(CATALOG)}); await EXAMPLES[${JSON.stringify(name)}].native(${JSON.stringify(inputs)}, { threads: 2, workDir: ${JSON.stringify(work)} });`;
        native.push(await timed(['--input-type=module', '-e', script]));
        const flags = Object.entries(inputs).flatMap(([k, v]) => ['--input', `${k}=${v}`]);
        sealflow.push(await timed([CLI, 'run', ex.dir, ...flags, '--quiet', '--state-dir', path.join(work, 'state')]));
      } finally {
        await rm(work, { recursive: true, force: true });
      }
      process.stderr.write(`  run ${r + 1}: native ${native.at(-1)!.toFixed(2)} s, sealflow ${sealflow.at(-1)!.toFixed(2)} s\n`);
    }
    const n = median(native);
    const s = median(sealflow);
    rows.push(`| ${name} | ${size} | ${n.toFixed(2)} s | ${s.toFixed(2)} s | ${(s / n).toFixed(2)}× | ${(s - n).toFixed(2)} s |`);
  }
  process.stdout.write(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (after), median of ${runs}\n\n`);
  process.stdout.write('| example | size | native | sealflow (none, no encryption) | ratio | difference |\n|---|---|---|---|---|---|\n');
  process.stdout.write(`${rows.join('\n')}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
