/**
 * bench/speed: every row of issue 15's table, each beside its peer in the
 * same invocation, as one markdown table (what, sealflow, peer, ratio, goal,
 * met?) with CPU seconds and wall time, the load average, Node's version and
 * the commit. Run from the repository root after `npm run build`:
 *
 *     node dist/bench/speed/main.js [--quick] [--only LIST] [--before DIR] [--rounds N]
 *
 * `--help` says what each section runs and how long it takes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { encryptionRows, overheadRows, readBenchResults, runBench, wordCountRows } from './peers.js';
import { loadavg } from './measure.js';
import { measureStartup, type Build } from './startup.js';
import { renderTable, type Row } from './table.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SECTIONS = ['startup', 'steps', 'encryption', 'word-count'] as const;
type Section = (typeof SECTIONS)[number];

const HELP = `usage: node dist/bench/speed/main.js [--quick] [--only LIST] [--before DIR] [--rounds N]

Every row of issue 15's table, each beside its peer in the same invocation; prints one markdown table
(what, sealflow, peer, ratio, goal, met?) with CPU seconds (user + system of the whole process tree, GNU
time) and wall time, the load average before and after, node's version and the commit. Run it from the
repository root after \`npm run build\`; it needs /usr/bin/time and age (cwltool for the steps' peer).

sections (--only startup,steps,encryption,word-count; default all):
  startup     sealflow --version, every command's --help, and the first real work of run, check,
              encrypt, decrypt and report, beside \`node -e 0\`; medians of --rounds (default 9, --quick 5)
              alternated rounds; ~30 s (~15 s quick)
  steps       node dist/bench/overhead/main.js --n 100,1000 --reps 3 (--quick: --reps 1): 100 and 1,000
              trivial steps plain and encrypted, cwltool and the spawn floor; ~2 min (~45 s quick)
  encryption  node dist/bench/encryption/main.js --size 256MiB --runs 3, then --size 2GiB --runs 3
              (--quick: 256MiB --runs 1 only; 2 GiB needs ~7 GiB free in bench/tmp); ~3 min (~5 s quick)
  word-count  sealflow bench --only word-count --sizes word-count=100MB --runs 3 (--quick: --runs 1):
              sim + encrypted beside the same run plain; ~1 min (~20 s quick)

  --quick        fewer repetitions and no 2 GiB case: ~1.5 min in all on 2 quiet cores (full: ~6 min)
  --before DIR   also measure the build in DIR (a checkout with node_modules, built) in the start-up rounds,
                 alternated with this one: the table gets a "before" column
  --rounds N     start-up rounds (default 9; --quick 5)
  -h, --help     this text

Figures go to stdout; each benchmark's own output goes to stderr as it runs. Exit 0 when every section
ran (whether or not its goals are met), 1 if one could not run.`;

function commit(): string {
  const r = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).stdout.trim() !== '';
  return r.status === 0 ? `${r.stdout.trim()}${dirty ? ' (with uncommitted changes)' : ''}` : 'unknown (not a git checkout)';
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, only: { type: 'string' }, before: { type: 'string' }, rounds: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const quick = values.quick === true;
  const only = values.only === undefined ? [...SECTIONS] : values.only.split(',').map((s) => s.trim());
  for (const s of only) if (!(SECTIONS as readonly string[]).includes(s)) throw new UsageError(`--only ${values.only}: unknown section ${s} (the sections: ${SECTIONS.join(', ')})`);
  const rounds = values.rounds === undefined ? (quick ? 5 : 9) : Number(values.rounds);
  if (!Number.isSafeInteger(rounds) || rounds < 1) throw new UsageError(`--rounds ${values.rounds}: expected a whole number of at least 1`);
  const builds: Build[] = [];
  if (values.before !== undefined) {
    const root = path.resolve(values.before);
    if (!fs.existsSync(path.join(root, 'dist', 'src', 'cli', 'bin.js'))) throw new UsageError(`--before ${values.before}: no dist/src/cli/bin.js there (build it first: npx tsc -p tsconfig.json && node scripts/bundle-cli.mjs)`);
    builds.push({ label: 'before', root });
  }
  builds.push({ label: 'sealflow', root: ROOT });
  for (const bin of ['/usr/bin/time', 'age']) if (spawnSync(bin, ['--version'], { stdio: 'ignore' }).error) throw new UsageError(`${bin} is needed (apt-get install time age)`);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-speed-'));
  // Encrypted runs need a master and an owner identity: a throwaway one, never ~/.sealflow.
  const env: NodeJS.ProcessEnv = { ...process.env, SEALFLOW_HOME: path.join(work, 'home'), SEALFLOW_MASTER_PASSPHRASE: process.env['SEALFLOW_MASTER_PASSPHRASE'] ?? '' };
  const started = new Date();
  const loadBefore = loadavg();
  const rows: Row[] = [];
  const warnings: string[] = [];
  let detail: Row[] = [];
  if (only.includes('startup')) {
    // A stale bundle (e.g. tsc ran after the bundling step) makes `sealflow` run the modules: say so, loudly.
    for (const b of builds) {
      const check = (await import(pathToFileURL(path.join(b.root, 'dist', 'src', 'cli', 'bundle-check.js')).href)) as { bundleIsCurrent?: () => boolean };
      if (check.bundleIsCurrent?.() !== true) warnings.push(`WARNING: ${b.root}: the CLI bundle is missing or stale, so its commands ran from the modules, not the bundle (run \`node scripts/bundle-cli.mjs\` there, or \`npm run build\`)`);
    }
    for (const w of warnings) process.stderr.write(`bench/speed: ${w}\n`);
  }
  let failed = 0;
  const section = (name: Section, f: () => void) => {
    if (!only.includes(name)) return;
    const t0 = Date.now();
    try {
      f();
    } catch (e) {
      failed++;
      process.stderr.write(`bench/speed: section ${name} could not run: ${e instanceof Error ? e.message : String(e)}\n`);
      rows.push({ what: name, sealflow: `could not run: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, peer: '—', ratio: '—', goal: '—', met: 'not measured' });
    }
    process.stderr.write(`bench/speed: section ${name} took ${((Date.now() - t0) / 1000).toFixed(0)} s (load ${loadavg()})\n`);
  };
  try {
    section('startup', () => {
      const s = measureStartup(builds, rounds, fs.mkdtempSync(path.join(work, 'startup-')), env);
      rows.push(...s.rows);
      detail = s.detail;
    });
    section('steps', () => rows.push(...overheadRows(runBench(path.join(ROOT, 'dist', 'bench', 'overhead', 'main.js'), ['--n', '100,1000', '--reps', quick ? '1' : '3'], env))));
    section('encryption', () => {
      const script = path.join(ROOT, 'dist', 'bench', 'encryption', 'main.js');
      rows.push(...encryptionRows(runBench(script, ['--size', '256MiB', '--runs', quick ? '1' : '3'], env), '256 MiB', 1.0));
      if (!quick) rows.push(...encryptionRows(runBench(script, ['--size', '2GiB', '--runs', '3'], env), '2 GiB', 1.3, ['encrypt → file', 'decrypt → file']));
    });
    section('word-count', () => {
      const out = path.join(work, 'word-count');
      runBench(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'), ['bench', '--only', 'word-count', '--sizes', 'word-count=100MB', '--runs', quick ? '1' : '3', '--out', out, '--work-dir', path.join(work, 'bench-work'), '--quiet'], env);
      rows.push(...wordCountRows(readBenchResults(out), '100 MB'));
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const finished = new Date();
  const lines = [
    `## bench/speed — issue 15's table (\`node dist/bench/speed/main.js${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(' ')}` : ''}\`)`,
    '',
    `${started.toISOString()} – ${finished.toISOString()}; commit ${commit()}; node ${process.version}; ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}); load average before ${loadBefore}, after ${loadavg()}${builds.length > 1 ? `; before = ${builds[0]?.root}` : ''}`,
    '',
    ...warnings.flatMap((w) => [`**${w}**`, '']),
    renderTable(rows, builds.length > 1),
  ];
  if (detail.length > 0) lines.push('', `Start-up, every case (medians of ${rounds} alternated rounds, through dist/src/cli/bin.js):`, '', renderTable(detail, builds.length > 1));
  process.stdout.write(`${lines.join('\n')}\n`);
  return failed > 0 ? 1 : 0;
}

class UsageError extends Error {}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`bench/speed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
