/**
 * bench/speed's other rows, each measured by the benchmark that owns it, run
 * as a subprocess with its own flags, and read from what it prints or
 * writes: the trivial steps (bench/overhead, with cwltool and the spawn
 * floor), bulk encryption beside `age` (bench/encryption), and word count
 * `sim` + encrypted beside the same run plain (`sealflow bench`). A
 * benchmark whose output cannot be read gives rows that say so (its output
 * is printed), never figures made up.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { verdict, x, type Row } from './table.js';

/** Runs `node <script> args`, echoing its output to stderr as it goes (the driver's own progress); returns stdout. */
export function runBench(script: string, args: readonly string[], env: NodeJS.ProcessEnv): string {
  process.stderr.write(`bench/speed: node ${path.relative(process.cwd(), script)} ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 << 20 });
  process.stderr.write(r.stdout);
  if (r.status !== 0) throw new Error(`node ${script} ${args.join(' ')} exited ${r.status ?? r.signal}`);
  return r.stdout;
}

export interface LineFit {
  readonly fixed: number;
  readonly perStepMs: number;
  readonly fixedCpu: number;
  readonly perStepCpuMs: number;
}

/** bench/overhead's second table: `| tool | fixed s | marginal ms/step | fixed CPU s | marginal CPU ms/step |`. */
export function parseOverhead(out: string): Map<string, LineFit> {
  const fits = new Map<string, LineFit>();
  for (const line of out.split('\n')) {
    const m = /^\| ([^|]+?) \| (-?[\d.]+) \| (-?[\d.]+) \| (-?[\d.]+) \| (-?[\d.]+) \|$/.exec(line.trim());
    if (m) fits.set(m[1] as string, { fixed: Number(m[2]), perStepMs: Number(m[3]), fixedCpu: Number(m[4]), perStepCpuMs: Number(m[5]) });
  }
  return fits;
}

const fit = (f: LineFit) => `${f.perStepMs.toFixed(2)} ms/step + ${f.fixed.toFixed(2)} s (CPU ${f.perStepCpuMs.toFixed(2)} ms/step + ${f.fixedCpu.toFixed(2)} s)`;

export function overheadRows(out: string): Row[] {
  const f = parseOverhead(out);
  const plain = f.get('sealflow (N steps)');
  const enc = f.get('sealflow (N steps, encrypted)');
  const floor = [...f].find(([k]) => k.startsWith('floor'))?.[1];
  const cwl = [...f].filter(([k]) => k.startsWith('cwltool')).map(([, v]) => v);
  const cwlBest = cwl.length > 0 ? cwl.reduce((a, b) => (b.perStepMs < a.perStepMs ? b : a)) : undefined;
  if (!plain || !enc) return [unread('1,000 trivial steps (bench/overhead)')];
  const peers = [cwlBest ? `cwltool ${cwlBest.perStepMs.toFixed(2)} ms/step (CPU ${cwlBest.perStepCpuMs.toFixed(2)})` : 'cwltool not installed', floor ? `floor (Node spawning \`true\` 2 at a time) ${floor.perStepMs.toFixed(2)} ms/step (CPU ${floor.perStepCpuMs.toFixed(2)})` : ''].filter(Boolean);
  return [
    {
      what: '1,000 trivial steps, plain (`--no-encrypt`)',
      sealflow: fit(plain),
      peer: peers.join('; '),
      ratio: floor ? `${x(plain.perStepMs / floor.perStepMs)} the floor per step` : '—',
      goal: '≤ 2 ms/step, ≤ 0.2 s fixed',
      met: verdict(plain.perStepCpuMs <= 2 && plain.fixedCpu <= 0.2, plain.perStepMs <= 2 && plain.fixed <= 0.2),
    },
    {
      what: '1,000 trivial steps, encrypted (the default)',
      sealflow: fit(enc),
      peer: `the same steps plain: ${plain.perStepMs.toFixed(2)} ms/step (CPU ${plain.perStepCpuMs.toFixed(2)})`,
      ratio: `${x(enc.perStepMs / plain.perStepMs)} wall, ${x(enc.perStepCpuMs / plain.perStepCpuMs)} CPU per step`,
      goal: '≤ 1.3× plain',
      met: verdict(enc.perStepCpuMs <= 1.3 * plain.perStepCpuMs, enc.perStepMs <= 1.3 * plain.perStepMs),
    },
  ];
}

export interface EncCase {
  readonly name: string;
  readonly ageBest: number;
  readonly sfBest: number;
  readonly sfCpu: number;
  readonly ageCpu: number;
}

/** bench/encryption's case lines: `encrypt → file   age best / med   sealflow best / med   MiB/s   ratio×   RSS   CPU sf / age   ceiling×`. */
export function parseEncryption(out: string): EncCase[] {
  // Each case is two lines of bench/encryption's table: the case and age's figures, then sealflow's.
  const AGE = /^((?:en|de)crypt → (?:\/dev\/null|file))\s+age\s+([\d.]+) \/ [\d.]+\s+([\d.]+)\s+\d+ MiB/;
  const SEALFLOW = /^sealflow\s+([\d.]+) \/ [\d.]+\s+[\d.]+× \/ [\d.]+×\s+([\d.]+)\s+\d+ MiB/;
  const cases: EncCase[] = [];
  let age: { name: string; best: number; cpu: number } | null = null;
  for (const line of out.split('\n')) {
    const a = AGE.exec(line.trim());
    if (a) {
      age = { name: a[1] as string, best: Number(a[2]), cpu: Number(a[3]) };
      continue;
    }
    const s = SEALFLOW.exec(line.trim());
    if (s && age) cases.push({ name: age.name, ageBest: age.best, sfBest: Number(s[1]), sfCpu: Number(s[2]), ageCpu: age.cpu });
    age = null;
  }
  return cases;
}

export function encryptionRows(out: string, size: string, goal: number, only?: readonly string[]): Row[] {
  const cases = parseEncryption(out).filter((c) => !only || only.includes(c.name));
  if (cases.length === 0) return [unread(`encrypt / decrypt ${size} (bench/encryption)`)];
  return cases.map((c) => ({
    what: `${c.name.replace('→', `${size} →`)}`,
    sealflow: `${c.sfBest.toFixed(3)} s best (CPU ${c.sfCpu.toFixed(2)} s)`,
    peer: `\`age\`: ${c.ageBest.toFixed(3)} s best (CPU ${c.ageCpu.toFixed(2)} s)`,
    ratio: `${x(c.ageBest / c.sfBest)} age's throughput`,
    goal: `≥ ${goal.toFixed(1)}× \`age\``,
    met: c.ageBest / c.sfBest >= goal ? 'met' : 'not met',
  }));
}

interface WordCountConfig {
  readonly id: string;
  readonly wall?: { readonly median: number };
  readonly cpu?: { readonly median: number };
  readonly failed?: string;
}

/** The word-count row from `sealflow bench`'s results JSON: sim + encrypted against the same run plain (no TEE, no encryption). */
export function wordCountRows(results: unknown, size: string): Row[] {
  const cases = (results as { cases?: { example?: string; configs?: WordCountConfig[] }[] }).cases ?? [];
  const configs = cases.find((c) => c.example === 'word-count')?.configs ?? [];
  const sim = configs.find((c) => c.id === 'sim-enc');
  const plain = configs.find((c) => c.id === 'none-plain');
  const what = `word count ${size}, attested \`sim\` + encrypted vs the same run plain`;
  if (!sim?.wall || !sim.cpu || !plain?.wall || !plain.cpu) return [{ ...unread(what), met: `not measured${sim?.failed ?? plain?.failed ? `: ${sim?.failed ?? plain?.failed}` : ''}` }];
  const rw = sim.wall.median / plain.wall.median;
  const rc = sim.cpu.median / plain.cpu.median;
  return [
    {
      what,
      sealflow: `${sim.cpu.median.toFixed(2)} CPU-s, ${sim.wall.median.toFixed(2)} s wall (median)`,
      peer: `plain: ${plain.cpu.median.toFixed(2)} CPU-s, ${plain.wall.median.toFixed(2)} s wall`,
      ratio: `${x(rc)} CPU, ${x(rw)} wall`,
      goal: '≤ 1.10×',
      met: verdict(rc <= 1.1, rw <= 1.1),
    },
  ];
}

/** Reads the one results file `sealflow bench --out dir` wrote. */
export function readBenchResults(dir: string): unknown {
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.json') && !f.endsWith('.partial.json'));
  if (file === undefined) throw new Error(`sealflow bench wrote no results JSON into ${dir}`);
  return JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as unknown;
}

function unread(what: string): Row {
  return { what, sealflow: '(its output could not be read: see above)', peer: '—', ratio: '—', goal: '—', met: 'not measured' };
}
