/**
 * bench/encryption: sealflow's age implementation against the `age` CLI, in
 * the same run, on the same file: encrypt and decrypt, to /dev/null and file
 * to file. Prints MiB/s (wall clock of the whole command, process start
 * included), the sealflow/age ratio, and each command's peak RSS.
 *
 *     node dist/bench/encryption/main.js [--size 256MiB] [--runs 5]
 *
 * Needs `age` and GNU time (/usr/bin/time) for peak RSS.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { X25519Identity } from '../../src/crypto/x25519.js';
import { writeIdentityFile } from '../../src/crypto/keyfile.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(HERE, '../../src/cli/main.js');
const REPO = path.resolve(HERE, '../../..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

function parseSize(s: string): number {
  const m = /^(\d+)(KiB|MiB|GiB)?$/.exec(s);
  if (!m) throw new Error(`bad --size ${s} (e.g. 256MiB)`);
  return Number(m[1]) * ({ KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[m[2] ?? ''] ?? 1);
}

interface Measure {
  readonly seconds: number;
  /** User + system CPU seconds: less sensitive than wall time to other load on the machine. */
  readonly cpu: number;
  readonly rssMiB: number;
}

/** Runs a command under GNU time; wall seconds and peak RSS. */
function timed(cmd: string, args: readonly string[]): Measure {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [secs, kb, user, sys] = last.split(' ').map(Number);
  return { seconds: secs!, cpu: user! + sys!, rssMiB: kb! / 1024 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const size = parseSize(arg('size', '256MiB'));
  const runs = Number(arg('runs', '5'));
  for (const bin of ['age', '/usr/bin/time']) {
    if (spawnSync(bin, ['--version']).error) throw new Error(`${bin} is needed (apt-get install age time)`);
  }
  const tmp = path.join(REPO, 'bench', 'tmp', 'encryption');
  mkdirSync(tmp, { recursive: true });
  const plain = path.join(tmp, 'plain.bin');
  const fd = openSync(plain, 'w');
  for (let left = size; left > 0; ) {
    const n = Math.min(left, 16 * 1024 * 1024);
    writeSync(fd, crypto.randomBytes(n));
    left -= n;
  }
  closeSync(fd);
  const keyFile = path.join(tmp, 'id.key');
  rmSync(keyFile, { force: true });
  const id = X25519Identity.generate();
  await writeIdentityFile(keyFile, id);
  const recipient = id.recipient().toString();
  const ct = { sealflow: path.join(tmp, 'sealflow.age'), age: path.join(tmp, 'age.age') };
  execFileSync('age', ['-r', recipient, '-o', ct.age, plain]);
  execFileSync(process.execPath, [CLI, 'encrypt', '-r', recipient, '-o', ct.sealflow, plain]);
  const out = path.join(tmp, 'out.bin');

  type Tool = 'sealflow' | 'age';
  const command = (tool: Tool, op: 'encrypt' | 'decrypt', dest: string): [string, string[]] => {
    const input = op === 'encrypt' ? plain : ct[tool];
    const key = op === 'encrypt' ? ['-r', recipient] : ['-i', keyFile];
    if (tool === 'age') return ['age', [...(op === 'decrypt' ? ['-d'] : []), ...key, '-o', dest, input]];
    return [process.execPath, [CLI, op, ...key, '-o', dest, input]];
  };

  console.log(`bench/encryption: ${(size / 1024 ** 2).toFixed(0)} MiB, median of ${runs} runs, ${os.availableParallelism()} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`age: ${execFileSync('age', ['--version']).toString().trim()}, node ${process.version}`);
  console.log('case                     sealflow MiB/s  age MiB/s  ratio   sealflow RSS  age RSS   CPU-s sealflow/age');
  const mib = size / 1024 ** 2;
  for (const op of ['encrypt', 'decrypt'] as const) {
    for (const dest of ['/dev/null', out]) {
      const m: Record<Tool, Measure[]> = { sealflow: [], age: [] };
      for (let i = 0; i < runs; i++) {
        for (const tool of ['age', 'sealflow'] as const) {
          if (existsSync(out)) rmSync(out);
          const [cmd, args] = command(tool, op, dest);
          m[tool].push(timed(cmd, args));
        }
      }
      const speed = (t: Tool): number => mib / median(m[t].map((x) => x.seconds));
      const rss = (t: Tool): number => Math.max(...m[t].map((x) => x.rssMiB));
      const cpu = (t: Tool): string => median(m[t].map((x) => x.cpu)).toFixed(2);
      const name = `${op} → ${dest === '/dev/null' ? '/dev/null' : 'file'}`;
      console.log(
        `${name.padEnd(24)} ${speed('sealflow').toFixed(0).padStart(14)} ${speed('age').toFixed(0).padStart(10)} ` +
          `${(speed('sealflow') / speed('age')).toFixed(2).padStart(6)}× ${rss('sealflow').toFixed(0).padStart(9)} MiB ${rss('age').toFixed(0).padStart(4)} MiB` +
          `   ${cpu('sealflow')} / ${cpu('age')}`,
      );
    }
  }
  console.log(`load after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  rmSync(tmp, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
