/**
 * bench/speed's start-up rows: `sealflow --version` beside `node -e 0`, every
 * command's `--help`, and the first real work of `run` (its validation's
 * verdict on an invalid workflow), `check` (a one-step workflow), `encrypt`
 * and `decrypt` (an empty file), and `report` (a one-step run) — each through
 * the installed entry (dist/src/cli/bin.js, which runs the bundle), rounds
 * alternated between the builds measured and Node, medians reported.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { commands } from '../../src/cli/commands/index.js';
import { cpuWall, verdict, x, type Row } from './table.js';
import { medianOf, timed, type RunOptions, type Timed } from './measure.js';

/** Goal of issue 15: `--version` within 1.5× Node's own start; every command's real work starts within 0.15 s. */
export const VERSION_FACTOR = 1.5;
export const START_LIMIT_S = 0.15;

export interface Build {
  readonly label: string;
  readonly root: string;
}

interface Case {
  readonly what: string;
  readonly args: readonly string[];
  readonly ok?: readonly number[];
}

/** A throwaway workspace: a one-step workflow, an invalid one, an empty file, a key, and one finished run to report. */
function workspace(dir: string, cli: string, env: NodeJS.ProcessEnv): { cases: Case[] } {
  const one = path.join(dir, 'one');
  fs.mkdirSync(one, { recursive: true });
  fs.writeFileSync(path.join(one, 'flow.yaml'), 'name: one-step\noutputs:\n  o: { type: file, from: s/o }\nsteps:\n  s:\n    command: ["true"]\n    stdout: o\n    out: { o: { type: file, glob: o } }\n');
  const bad = path.join(dir, 'bad');
  fs.mkdirSync(bad, { recursive: true });
  fs.writeFileSync(path.join(bad, 'flow.yaml'), 'name: invalid\nsteps:\n  s:\n    command: ["true"]\n    in: { x: { from: nowhere/o } }\n');
  const empty = path.join(dir, 'empty');
  fs.writeFileSync(empty, '');
  const key = path.join(dir, 'key.txt');
  execFileSync(process.execPath, [cli, 'keygen', '-o', key], { env, stdio: 'ignore' });
  const recipient = /age1[0-9a-z]+/.exec(fs.readFileSync(key, 'utf8'))?.[0];
  if (!recipient) throw new Error(`sealflow keygen wrote no recipient to ${key}`);
  const emptyAge = path.join(dir, 'empty.age');
  execFileSync(process.execPath, [cli, 'encrypt', '-r', recipient, '-o', emptyAge, empty], { env, stdio: 'ignore' });
  const state = path.join(dir, 'state');
  execFileSync(process.execPath, [cli, 'run', path.join(one, 'flow.yaml'), '--no-encrypt', '--platform', 'none', '--quiet', '--state-dir', state], { env, stdio: 'ignore' });
  const runId = fs.readdirSync(path.join(state, 'runs'))[0];
  if (runId === undefined) throw new Error(`the one-step run left no run in ${state}`);
  return {
    cases: [
      { what: 'run: to its validation verdict (an invalid workflow, exit 2)', args: ['run', path.join(bad, 'flow.yaml'), '--state-dir', state], ok: [2] },
      { what: 'check: a one-step workflow, local deployment', args: ['check', path.join(one, 'flow.yaml')], ok: [0, 1] },
      { what: 'encrypt: an empty file', args: ['encrypt', '-r', recipient, '-o', '/dev/null', empty] },
      { what: 'decrypt: an empty file', args: ['decrypt', '-i', key, '-o', '/dev/null', emptyAge] },
      { what: 'report: a one-step run', args: ['report', runId, '--state-dir', state, '-o', path.join(dir, 'report.html')] },
    ],
  };
}

export interface StartupResult {
  readonly rows: Row[];
  /** Every command's --help and first action, for the detail table. */
  readonly detail: Row[];
}

/** Measures every case `rounds` times per build, alternating builds and `node -e 0` within each round. */
export function measureStartup(builds: readonly Build[], rounds: number, dir: string, env: NodeJS.ProcessEnv): StartupResult {
  const main = builds[builds.length - 1] as Build;
  const bin = (b: Build) => path.join(b.root, 'dist', 'src', 'cli', 'bin.js');
  const ws = workspace(dir, bin(main), env);
  const cases: Case[] = [{ what: '`sealflow --version`', args: ['--version'] }, ...commands.map((c) => ({ what: `\`sealflow ${c.name} --help\``, args: [c.name, '--help'] })), { what: '`sealflow --help`', args: ['--help'] }, ...ws.cases];
  const node: Timed[] = [];
  const got = new Map<string, Timed[]>();
  const o = (c: Case): RunOptions => ({ cwd: dir, env, ...(c.ok ? { ok: c.ok } : {}) });
  for (let r = 0; r < rounds; r++) {
    node.push(timed(process.execPath, ['-e', '0'], { cwd: dir, env }));
    for (const c of cases) {
      for (const b of builds) {
        const k = `${b.label}\0${c.what}`;
        const list = got.get(k) ?? [];
        list.push(timed(process.execPath, [bin(b), ...c.args], o(c)));
        got.set(k, list);
      }
    }
  }
  const n = medianOf(node);
  const of = (b: Build, c: Case) => medianOf(got.get(`${b.label}\0${c.what}`) ?? []);
  const before = builds.length > 1 ? builds[0] : undefined;
  const detail: Row[] = cases.map((c) => {
    const t = of(main, c);
    const isVersion = c.args[0] === '--version';
    const goal = isVersion ? `≤ ${VERSION_FACTOR}× Node's start` : `≤ ${START_LIMIT_S} s`;
    // GNU time reports hundredths: 0.09 + 0.06 must count as 0.15.
    const le = (a: number, b: number) => a <= b + 1e-9;
    const met = isVersion ? verdict(le(t.cpu, VERSION_FACTOR * n.cpu), le(t.wall, VERSION_FACTOR * n.wall)) : verdict(le(t.cpu, START_LIMIT_S), le(t.wall, START_LIMIT_S));
    return { what: c.what, sealflow: cpuWall(t), ...(before ? { before: cpuWall(of(before, c)) } : {}), peer: `\`node -e 0\`: ${cpuWall(n)}`, ratio: `${x(t.cpu / n.cpu)} CPU, ${x(t.wall / n.wall)} wall`, goal, met };
  });
  const version = detail[0] as Row;
  const helps = cases.map((c, i) => ({ c, i })).filter(({ c }) => c.args.includes('--help'));
  const slowest = helps.reduce((a, b) => (of(main, b.c).cpu > of(main, a.c).cpu ? b : a));
  const firsts = cases.map((c, i) => ({ c, i })).filter(({ c }) => c.args[0] !== '--version' && !c.args.includes('--help'));
  const slowFirst = firsts.reduce((a, b) => (of(main, b.c).cpu > of(main, a.c).cpu ? b : a));
  const allMet = (rows: readonly Row[]) => {
    if (rows.every((r) => r.met === 'met')) return 'met';
    const cpu = rows.filter((r) => r.met === 'met' || r.met.startsWith('met on CPU')).length;
    const wall = rows.filter((r) => r.met === 'met' || r.met.startsWith('met on wall')).length;
    return `${cpu} of ${rows.length} met on CPU, ${wall} on wall`;
  };
  const helpRows = helps.map(({ i }) => detail[i] as Row);
  const firstRows = firsts.map(({ i }) => detail[i] as Row);
  return {
    detail,
    rows: [
      version,
      { ...(detail[slowest.i] as Row), what: `every command's \`--help\` (slowest: ${slowest.c.what})`, met: allMet(helpRows) },
      { ...(detail[slowFirst.i] as Row), what: `a command's first real work (slowest: ${slowFirst.c.what})`, met: allMet(firstRows) },
    ],
  };
}
