/**
 * bench/encryption: sealflow's age implementation against the `age` CLI, in
 * the same run, on the same file: encrypt and decrypt, to /dev/null and file
 * to file — the rows of issue 15. Each command runs `--warmup` times
 * unmeasured, then `--runs` times, alternating `age`, sealflow and (with
 * `--baseline DIR`) another build of sealflow, so a before and an after are
 * measured beside their peer in one invocation. Every command is what a user
 * runs: the installed `sealflow` entry (dist/src/cli/bin.js, which runs the
 * bundled CLI). Per case and tool: wall time of the whole command (process
 * start included), best and median; age's throughput over the tool's (best
 * and median); median CPU seconds (user + system of the process tree, the
 * figure that survives a loaded machine); peak RSS; the load average before
 * the case. It first measures the floors that bound the result here: Node's
 * own start, sealflow's fixed cost (an empty input), and `cat`.
 *
 *     node dist/bench/encryption/main.js [--size 256MiB] [--runs 5] [--warmup 1] [--baseline /path/to/other/build]
 *
 * Goal (issue 15): ≥ 1.3× age's throughput from 1 GiB up (age is
 * single-threaded, there are two cores), ≥ 1.0× below. Needs `age` and GNU
 * time (/usr/bin/time); the files (input, two ciphertexts, output: 4× the
 * size) live in bench/tmp/encryption and are removed at the end.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { X25519Identity } from '../../src/crypto/x25519.js';
import { writeIdentityFile } from '../../src/crypto/keyfile.js';
import { loadavg, summarize, timed, timedShell, type Measure, type Summary } from './measure.js';
import { timeline } from './timeline.js';
import { helpIfAsked } from '../help.js';

helpIfAsked(`usage: node dist/bench/encryption/main.js [--size 256MiB] [--runs 5] [--warmup 1] [--baseline DIR]

Measures sealflow's age encryption and decryption against the age CLI on the same file, in one
invocation (to /dev/null and file to file; --baseline DIR alternates another build of sealflow too):
wall time best and median, throughput ratio to age, median CPU seconds (user + system of the process
tree), peak RSS and the load average; first the floors (Node's start, sealflow on an empty input, cat).
Runs the installed entry (dist/src/cli/bin.js). Needs age and GNU time; its files (4x --size) live in
bench/tmp/encryption and are removed at the end.`);

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../../..');
/** The installed entry of a build (a repository root with dist/ built). */
const binOf = (root: string): string => path.join(root, 'dist', 'src', 'cli', 'bin.js');
const CLI = binOf(REPO);
const RSS_LIMIT_MIB = 100e6 / 2 ** 20; // "< 100 MB"

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

function parseSize(s: string): number {
  const m = /^(\d+)(KiB|MiB|GiB)?$/.exec(s);
  if (!m) throw new Error(`bad --size ${s} (e.g. 256MiB)`);
  return Number(m[1]) * ({ KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[m[2] ?? ''] ?? 1);
}

function writeRandomFile(file: string, size: number): void {
  const fd = openSync(file, 'w');
  for (let left = size; left > 0; ) {
    const n = Math.min(left, 16 * 1024 * 1024);
    writeSync(fd, crypto.randomBytes(n));
    left -= n;
  }
  closeSync(fd);
}

const s2 = (x: number): string => x.toFixed(3);

type Tool = 'age' | 'sealflow' | 'baseline';

async function main(): Promise<void> {
  const size = parseSize(arg('size', '256MiB'));
  const runs = Number(arg('runs', '5'));
  const warmup = Number(arg('warmup', '1'));
  const baselineRoot = process.argv.includes('--baseline') ? path.resolve(arg('baseline', '')) : null;
  if (baselineRoot !== null && !existsSync(binOf(baselineRoot))) throw new Error(`--baseline ${baselineRoot}: no ${binOf(baselineRoot)} (build it first: npx tsc -p tsconfig.json && node scripts/bundle-cli.mjs)`);
  const target = size >= 1024 ** 3 ? 1.3 : 1.0;
  for (const bin of ['age', '/usr/bin/time']) {
    if (spawnSync(bin, ['--version']).error) throw new Error(`${bin} is needed (apt-get install age time)`);
  }
  const tmp = path.join(REPO, 'bench', 'tmp', 'encryption');
  mkdirSync(tmp, { recursive: true });
  try {
    await measureAll(tmp, size, runs, warmup, target, baselineRoot);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function measureAll(tmp: string, size: number, runs: number, warmup: number, target: number, baselineRoot: string | null): Promise<void> {
  const plain = path.join(tmp, 'plain.bin');
  writeRandomFile(plain, size);
  const empty = path.join(tmp, 'empty.bin');
  writeFileSync(empty, '');
  const keyFile = path.join(tmp, 'id.key');
  rmSync(keyFile, { force: true });
  const id = X25519Identity.generate();
  await writeIdentityFile(keyFile, id);
  const recipient = id.recipient().toString();
  // One ciphertext per kind of writer; each tool decrypts the other's (age decrypts sealflow's, and vice versa).
  const ct = { sealflow: path.join(tmp, 'sealflow.age'), age: path.join(tmp, 'age.age'), empty: path.join(tmp, 'empty.age') };
  execFileSync('age', ['-r', recipient, '-o', ct.age, plain]);
  execFileSync(process.execPath, [CLI, 'encrypt', '-r', recipient, '-o', ct.sealflow, plain]);
  execFileSync(process.execPath, [CLI, 'encrypt', '-r', recipient, '-o', ct.empty, empty]);
  const out = path.join(tmp, 'out.bin');
  const mib = size / 1024 ** 2;
  const tools: Tool[] = baselineRoot === null ? ['age', 'sealflow'] : ['age', 'baseline', 'sealflow'];

  console.log(`bench/encryption: ${mib.toFixed(0)} MiB, ${warmup} warm-up + ${runs} runs per command (alternating ${tools.join(', ')}), ${os.availableParallelism()} cores, load ${loadavg()}`);
  console.log(`age ${execFileSync('age', ['--version']).toString().trim()}, node ${process.version}; sealflow = ${CLI}${baselineRoot === null ? '' : `; baseline = ${binOf(baselineRoot)}`}`);

  // Floors: what any program pays here, and sealflow's fixed cost.
  const floor = (f: () => Measure): Summary => summarize(Array.from({ length: runs }, () => { rmSync(out, { force: true }); return f(); }));
  const floors = {
    node: floor(() => timed(process.execPath, ['-e', ''])),
    sfEncEmpty: floor(() => timed(process.execPath, [CLI, 'encrypt', '-r', recipient, '-o', '/dev/null', empty])),
    sfDecEmpty: floor(() => timed(process.execPath, [CLI, 'decrypt', '-i', keyFile, '-o', '/dev/null', ct.empty])),
    read: floor(() => timedShell(`cat '${plain}' > /dev/null`)),
    readWrite: floor(() => timedShell(`cat '${plain}' > '${out}'`)),
  };
  rmSync(out, { force: true });
  const sfloor = (x: Summary): string => `${s2(x.best)} s (${s2(x.cpu)} CPU-s)`;
  console.log(`floors (best wall of ${runs}, median CPU): node start ${sfloor(floors.node)}; sealflow on an empty input: encrypt ${sfloor(floors.sfEncEmpty)}, decrypt ${sfloor(floors.sfDecEmpty)}; cat ${mib.toFixed(0)} MiB > /dev/null ${sfloor(floors.read)}; cat > file ${sfloor(floors.readWrite)}`);

  const command = (tool: Tool, op: 'encrypt' | 'decrypt', dest: string): [string, string[]] => {
    const input = op === 'encrypt' ? plain : tool === 'age' ? ct.sealflow : ct.age;
    const key = op === 'encrypt' ? ['-r', recipient] : ['-i', keyFile];
    if (tool === 'age') return ['age', [...(op === 'decrypt' ? ['-d'] : []), ...key, '-o', dest, input]];
    return [process.execPath, [tool === 'baseline' ? binOf(baselineRoot!) : CLI, op, ...key, '-o', dest, input]];
  };

  console.log('');
  console.log('case                 tool       wall s best / median   throughput vs age best / median   CPU-s   peak RSS   load before');
  const verdicts: string[] = [];
  const timelines: string[] = [];
  let worstRss = 0;
  for (const op of ['encrypt', 'decrypt'] as const) {
    for (const dest of ['/dev/null', out]) {
      const name = `${op} → ${dest === '/dev/null' ? '/dev/null' : 'file'}`;
      const load = loadavg().split(' ')[0]!;
      const m: Record<Tool, Measure[]> = { sealflow: [], age: [], baseline: [] };
      for (let i = 0; i < warmup + runs; i++) {
        for (const tool of tools) {
          rmSync(out, { force: true }); // just before the command: the freed pages are what it writes into
          const [cmd, args] = command(tool, op, dest);
          const r = timed(cmd, args);
          if (i >= warmup) m[tool].push(r);
        }
      }
      rmSync(out, { force: true });
      const [sfCmd, sfArgs] = command('sealflow', op, dest);
      timelines.push(`${name}: ${timeline(sfCmd, sfArgs)}`);
      rmSync(out, { force: true });
      const a = summarize(m.age);
      for (const tool of tools) {
        const f = summarize(m[tool]);
        if (tool !== 'age') worstRss = Math.max(worstRss, f.rssMiB);
        const ratio = tool === 'age' ? '' : `${(a.best / f.best).toFixed(2)}× / ${(a.median / f.median).toFixed(2)}×`;
        console.log(
          `${(tool === 'age' ? name : '').padEnd(20)} ${tool.padEnd(10)} ${s2(f.best).padStart(7)} / ${s2(f.median).padEnd(12)} ${ratio.padEnd(33)} ${f.cpu.toFixed(2).padStart(5)}   ${f.rssMiB.toFixed(0).padStart(4)} MiB   ${tool === 'age' ? load : ''}`,
        );
      }
      const f = summarize(m.sealflow);
      const fixed = op === 'encrypt' ? floors.sfEncEmpty.best : floors.sfDecEmpty.best;
      const need = a.best / target;
      const ratioBest = a.best / f.best;
      verdicts.push(
        `${name}: ${ratioBest >= target ? 'MET' : 'not met'} (best ${ratioBest.toFixed(2)}×, median ${(a.median / f.median).toFixed(2)}×; ${target}× means ≤ ${s2(need)} s; ` +
          `sealflow's fixed cost alone is ${s2(fixed)} s${fixed >= need ? ' — out of reach for this size' : ''}; CPU ${(f.cpu / a.cpu).toFixed(2)}× age's)`,
      );
    }
  }
  console.log('');
  console.log(`target ≥ ${target}× age's throughput (wall, best of runs; the median beside it):`);
  for (const v of verdicts) console.log(`  ${v}`);
  console.log(`  peak RSS: max ${worstRss.toFixed(0)} MiB (limit < 100 MB = ${RSS_LIMIT_MIB.toFixed(1)} MiB): ${worstRss < RSS_LIMIT_MIB ? 'MET' : 'not met'}`);
  console.log('');
  console.log('one more sealflow run per case with SEALFLOW_CRYPTO_TRACE=1 (ms since its process started; per-thread ms of each step):');
  for (const t of timelines) console.log(`  ${t}`);
  console.log(`load after: ${loadavg()}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
