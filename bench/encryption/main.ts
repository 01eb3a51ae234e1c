/**
 * bench/encryption: sealflow's age implementation against the `age` CLI, in
 * the same run, on the same file: encrypt and decrypt, to /dev/null and file
 * to file. Each command runs `--runs` times, alternating `age` and sealflow;
 * the table gives wall time of the whole command (process start included),
 * best and median, the sealflow/age throughput ratio for both, peak RSS and
 * CPU seconds. It first measures the floors that bound the result on this
 * machine: Node's own start, sealflow's fixed cost (an empty input), and
 * reading and writing the file with `cat`.
 *
 *     node dist/bench/encryption/main.js [--size 256MiB] [--runs 5]
 *
 * Needs `age` and GNU time (/usr/bin/time).
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

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(HERE, '../../src/cli/main.js');
const REPO = path.resolve(HERE, '../../..');
const TARGET = 1.5;
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

async function main(): Promise<void> {
  const size = parseSize(arg('size', '256MiB'));
  const runs = Number(arg('runs', '5'));
  for (const bin of ['age', '/usr/bin/time']) {
    if (spawnSync(bin, ['--version']).error) throw new Error(`${bin} is needed (apt-get install age time)`);
  }
  const tmp = path.join(REPO, 'bench', 'tmp', 'encryption');
  mkdirSync(tmp, { recursive: true });
  const plain = path.join(tmp, 'plain.bin');
  writeRandomFile(plain, size);
  const empty = path.join(tmp, 'empty.bin');
  writeFileSync(empty, '');
  const keyFile = path.join(tmp, 'id.key');
  rmSync(keyFile, { force: true });
  const id = X25519Identity.generate();
  await writeIdentityFile(keyFile, id);
  const recipient = id.recipient().toString();
  const ct = { sealflow: path.join(tmp, 'sealflow.age'), age: path.join(tmp, 'age.age'), empty: path.join(tmp, 'empty.age') };
  execFileSync('age', ['-r', recipient, '-o', ct.age, plain]);
  execFileSync(process.execPath, [CLI, 'encrypt', '-r', recipient, '-o', ct.sealflow, plain]);
  execFileSync(process.execPath, [CLI, 'encrypt', '-r', recipient, '-o', ct.empty, empty]);
  const out = path.join(tmp, 'out.bin');
  const mib = size / 1024 ** 2;

  console.log(`bench/encryption: ${mib.toFixed(0)} MiB, ${runs} runs per command (alternating age and sealflow), ${os.availableParallelism()} cores, load ${loadavg()}`);
  console.log(`age ${execFileSync('age', ['--version']).toString().trim()}, node ${process.version}`);

  // Floors: what any program pays here, and sealflow's fixed cost.
  const floor = (f: () => Measure): Summary => summarize(Array.from({ length: runs }, () => { rmSync(out, { force: true }); return f(); }));
  const floors = {
    node: floor(() => timed(process.execPath, ['-e', ''])),
    sfEncEmpty: floor(() => timed(process.execPath, [CLI, 'encrypt', '-r', recipient, '-o', '/dev/null', empty])),
    sfDecEmpty: floor(() => timed(process.execPath, [CLI, 'decrypt', '-i', keyFile, '-o', '/dev/null', ct.empty])),
    read: floor(() => timedShell(`cat '${plain}' > /dev/null`)),
    readWrite: floor(() => timedShell(`cat '${plain}' > '${out}'`)),
  };
  console.log(`floors (best of ${runs}, s): node start ${s2(floors.node.best)}; sealflow on an empty input: encrypt ${s2(floors.sfEncEmpty.best)}, decrypt ${s2(floors.sfDecEmpty.best)}; cat ${mib.toFixed(0)} MiB > /dev/null ${s2(floors.read.best)}; cat > file ${s2(floors.readWrite.best)}`);

  type Tool = 'sealflow' | 'age';
  const command = (tool: Tool, op: 'encrypt' | 'decrypt', dest: string): [string, string[]] => {
    const input = op === 'encrypt' ? plain : ct[tool];
    const key = op === 'encrypt' ? ['-r', recipient] : ['-i', keyFile];
    if (tool === 'age') return ['age', [...(op === 'decrypt' ? ['-d'] : []), ...key, '-o', dest, input]];
    return [process.execPath, [CLI, op, ...key, '-o', dest, input]];
  };

  console.log('');
  console.log('case                 age s best/med   sealflow s best/med   MiB/s best sealflow/age   ratio best/med   peak RSS sf/age   CPU-s sf/age   ceiling');
  const verdicts: string[] = [];
  const timelines: string[] = [];
  let worstRss = 0;
  for (const op of ['encrypt', 'decrypt'] as const) {
    for (const dest of ['/dev/null', out]) {
      const name = `${op} → ${dest === '/dev/null' ? '/dev/null' : 'file'}`;
      const m: Record<Tool, Measure[]> = { sealflow: [], age: [] };
      for (let i = 0; i < runs; i++) {
        for (const tool of ['age', 'sealflow'] as const) {
          if (existsSync(out)) rmSync(out);
          const [cmd, args] = command(tool, op, dest);
          m[tool].push(timed(cmd, args));
        }
      }
      if (existsSync(out)) rmSync(out);
      const [sfCmd, sfArgs] = command('sealflow', op, dest);
      timelines.push(`${name}: ${timeline(sfCmd, sfArgs)}`);
      const a = summarize(m.age);
      const f = summarize(m.sealflow);
      worstRss = Math.max(worstRss, f.rssMiB);
      const fixed = op === 'encrypt' ? floors.sfEncEmpty.best : floors.sfDecEmpty.best;
      // The best ratio sealflow could reach if its payload work took no time at all.
      const ceiling = a.best / fixed;
      const ratioBest = a.best / f.best;
      console.log(
        `${name.padEnd(20)} ${s2(a.best).padStart(7)} / ${s2(a.median).padEnd(7)} ${s2(f.best).padStart(9)} / ${s2(f.median).padEnd(9)} ` +
          `${(mib / f.best).toFixed(0).padStart(8)} / ${(mib / a.best).toFixed(0).padEnd(8)} ` +
          `${ratioBest.toFixed(2).padStart(8)}× / ${(a.median / f.median).toFixed(2)}×  ` +
          `${f.rssMiB.toFixed(0).padStart(6)} / ${a.rssMiB.toFixed(0).padEnd(3)} MiB  ${f.cpu.toFixed(2)} / ${a.cpu.toFixed(2)}    ${ceiling.toFixed(2)}×`,
      );
      const need = a.best / TARGET;
      verdicts.push(
        `${name}: ${ratioBest >= TARGET ? 'MET' : 'not met'} (best ${ratioBest.toFixed(2)}×; ${TARGET}× means ≤ ${s2(need)} s, ` +
          `sealflow's fixed cost alone is ${s2(fixed)} s${fixed >= need ? ' — out of reach for this size' : ''})`,
      );
    }
  }
  console.log('');
  console.log(`ceiling = age's best time / sealflow's best time on an empty input: the ratio if the ${mib.toFixed(0)} MiB cost nothing.`);
  console.log(`target ≥ ${TARGET}× age's throughput in every case (best of runs):`);
  for (const v of verdicts) console.log(`  ${v}`);
  console.log(`  peak RSS: max ${worstRss.toFixed(0)} MiB (limit < 100 MB = ${RSS_LIMIT_MIB.toFixed(1)} MiB): ${worstRss < RSS_LIMIT_MIB ? 'MET' : 'not met'}`);
  console.log('');
  console.log('one more sealflow run per case with SEALFLOW_CRYPTO_TRACE=1 (ms since its process started; per-thread ms of each step):');
  for (const t of timelines) console.log(`  ${t}`);
  console.log(`load after: ${loadavg()}`);
  rmSync(tmp, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
