/**
 * Issue 15's word-count row measured both ways, in one invocation: the same
 * `sealflow run examples/word-count` plain (`--platform none --no-encrypt`),
 * on attested `sim` workers with the plaintext corpus (the master seals it
 * to the broker at admission: the row as `sealflow bench` measures it), and
 * on `sim` with the corpus the owner already sealed to the broker
 * (`sealflow encrypt`, done once before anything is measured: admission
 * then only hashes it). The three alternate run by run; CPU is user +
 * system of the whole process tree (GNU time), with the load average
 * beside every run. `sim` is not a TEE.
 *
 *   node dist/bench/word-count-sealed/main.js [--size 100MB] [--runs 3] [--work-dir DIR]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EXAMPLES } from '../../examples/catalog.js';
import { measure, type Measurement } from '../../src/bench/measure.js';
import { prepareBenchHome } from '../../src/bench/run-bench.js';
import { helpIfAsked } from '../help.js';

helpIfAsked(`usage: node dist/bench/word-count-sealed/main.js [--size 100MB] [--runs 3] [--work-dir DIR]

Measures issue 15's word-count row both ways in one invocation: \`sealflow run examples/word-count\`
plain (--platform none --no-encrypt), on attested sim workers with the plaintext corpus (sealed by the
master at admission), and on sim with a corpus the owner sealed beforehand (sealflow encrypt, done
once before anything is measured); the three alternate run by run. CPU is user + system of the whole
process tree (GNU time), with the load average beside every run. sim is not a TEE.`);

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(DIST, 'src', 'cli', 'main.js');

const USAGE = 'usage: node dist/bench/word-count-sealed/main.js [--size 100MB] [--runs 3] [--work-dir DIR]';
let values: { size: string; runs: string; 'work-dir': string };
try {
  ({ values } = parseArgs({ options: { size: { type: 'string', default: '100MB' }, runs: { type: 'string', default: '3' }, 'work-dir': { type: 'string', default: path.join(os.tmpdir(), 'sealflow-bench') } } }));
} catch (e) {
  console.error(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  process.exit(2);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`--runs ${values.runs}: expected a whole number of at least 1\n${USAGE}`);
  process.exit(2);
}
const ex = EXAMPLES['word-count']!;
const workDir = path.resolve(values['work-dir']);
const scratch = path.join(workDir, `word-count-sealed-${process.pid}`);

/** Runs the CLI to completion (not measured); its stdout, or throws naming what failed. */
function cli(env: NodeJS.ProcessEnv, args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sealflow ${args.join(' ')} failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  return r.stdout.trim();
}

const load = (): string => os.loadavg()[0]!.toFixed(2);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  let corpus: string | undefined;
  try {
    ({ corpus } = await ex.prepare(values.size, path.join(workDir, 'data')));
  } catch (e) {
    console.error(`--size ${values.size}: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    process.exit(2);
  }
  if (corpus === undefined) throw new Error('the word-count catalog entry gave no corpus');
  const home = await prepareBenchHome(path.join(scratch, 'home'));
  const sealed = path.join(scratch, `${path.basename(corpus)}.age`);
  cli(home.env, ['encrypt', '-r', cli(home.env, ['broker', 'recipient']), '-o', sealed, corpus]);
  const modes = [
    { id: 'plain', input: corpus, args: ['--platform', 'none', '--no-encrypt'] },
    { id: 'sim, plaintext corpus', input: corpus, args: ['--platform', 'sim'] },
    { id: 'sim, owner-sealed corpus', input: sealed, args: ['--platform', 'sim'] },
  ];
  const got = new Map<string, Measurement[]>(modes.map((m) => [m.id, []]));
  console.log(`word count ${values.size} (${ex.dir}), ${runs} run(s) each, alternating; ${os.availableParallelism()} cores; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (let i = 1; i <= runs; i++) {
    for (const m of modes) {
      const dir = path.join(scratch, `run-${i}`);
      await mkdir(dir, { recursive: true });
      const before = load();
      const r = await measure([process.execPath, CLI, 'run', ex.dir, '--state-dir', path.join(dir, 'state'), '--out', path.join(dir, 'out'), '--quiet', '--input', `corpus=${m.input}`, ...m.args], { cwd: dir, env: home.env });
      await rm(dir, { recursive: true, force: true });
      if (!r.ok || r.cpuS === null) throw new Error(`${m.id} run ${i} failed: ${r.error ?? 'no CPU figure (is GNU time at /usr/bin/time?)'}`);
      got.get(m.id)!.push(r);
      console.log(`run ${i}  ${m.id.padEnd(26)} ${r.cpuS.toFixed(2)} CPU-s  ${r.wallS.toFixed(2)} s wall  (load ${before} → ${load()})`);
    }
  }
  const plain = got.get('plain')!;
  const [pc, pw] = [median(plain.map((r) => r.cpuS!)), median(plain.map((r) => r.wallS))];
  console.log('\nmedians:');
  for (const m of modes) {
    const rs = got.get(m.id)!;
    const [c, w] = [median(rs.map((r) => r.cpuS!)), median(rs.map((r) => r.wallS))];
    console.log(`  ${m.id.padEnd(26)} ${c.toFixed(2)} CPU-s  ${w.toFixed(2)} s wall  = ${(c / pc).toFixed(2)}× plain CPU, ${(w / pw).toFixed(2)}× wall`);
  }
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
} finally {
  if (existsSync(scratch)) await rm(scratch, { recursive: true, force: true });
}
