/**
 * One measured `sealflow run` of the scale bench: the whole process tree's
 * wall and CPU from `/usr/bin/time` (workers are the master's children and
 * are waited for), the master's own CPU and peak RSS from usage-hook.ts, the
 * journal's size and events; optionally the master SIGKILLed once `killAt`
 * steps have succeeded (read from its journal as it grows), and, of a resumed
 * run, when its first new step started (the journal's own timestamps).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HOOK = path.join(path.dirname(fileURLToPath(import.meta.url)), 'usage-hook.js');

export interface Measured {
  readonly ok: boolean;
  readonly wall: number;
  /** user+sys of the whole tree (null when the master was killed: `time` then misses the orphaned workers). */
  readonly treeCpu: number;
  readonly masterCpu: number | null;
  readonly masterRssMiB: number | null;
  readonly journalBytes: number;
  readonly events: number;
  readonly succeeded: number;
  readonly runId: string;
  /** Seconds from the start of the process to the first step the run started itself (after its `run-started`/`run-resumed`). */
  readonly firstStep: number | null;
  readonly load: number;
  readonly stderr: string;
}

export interface RunSpec {
  readonly cli: string;
  readonly args: readonly string[];
  readonly stateDir: string;
  readonly cwd: string;
  /** SIGKILL the master once this many step-succeeded events are journalled. */
  readonly killAt?: number;
}

/** The single run directory of `stateDir`'s runs (the bench uses one state directory per workload). */
function journalOf(stateDir: string, runId: string | null): { runId: string; file: string } | null {
  const runs = path.join(stateDir, 'runs');
  const ids = runId !== null ? [runId] : fs.existsSync(runs) ? fs.readdirSync(runs) : [];
  const id = ids[0];
  if (id === undefined) return null;
  const file = path.join(runs, id, 'journal.jsonl');
  return fs.existsSync(file) ? { runId: id, file } : null;
}

class JournalWatch {
  private offset = 0;
  private rest = '';

  /** Watches only what is appended after the journal's whole lines so far (a resumed run's own events). */
  skipExisting(file: string): void {
    const data = fs.readFileSync(file);
    this.offset = data.lastIndexOf(0x0a) + 1;
  }

  succeeded = 0;
  events = 0;
  started = false;
  firstStepT: number | null = null;

  /** Reads what was appended since the last call. */
  poll(file: string): void {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= this.offset) return;
      const buf = Buffer.alloc(size - this.offset);
      fs.readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const lines = (this.rest + buf.toString('utf8')).split('\n');
      this.rest = lines.pop() ?? '';
      for (const line of lines) {
        this.events++;
        if (line.includes('"type":"run-started"') || line.includes('"type":"run-resumed"')) this.started = true;
        else if (line.includes('"type":"step-succeeded"')) this.succeeded++;
        else if (this.started && this.firstStepT === null && line.includes('"type":"step-started"')) this.firstStepT = (JSON.parse(line) as { t: number }).t;
      }
    } finally {
      fs.closeSync(fd);
    }
  }
}

function alive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measuredRun(spec: RunSpec, resumeOf: string | null = null): Promise<Measured> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-run-'));
  const usage = path.join(tmp, 'usage.json');
  const timeFile = path.join(tmp, 'time');
  const load = os.loadavg()[0]!;
  const watch = new JournalWatch();
  if (resumeOf !== null) watch.skipExisting(journalOf(spec.stateDir, resumeOf)!.file);
  const t0 = Date.now();
  const child = spawn('/usr/bin/time', ['-f', '%e %U %S', '-o', timeFile, process.execPath, '--import', HOOK, spec.cli, ...spec.args], {
    cwd: spec.cwd,
    env: { ...process.env, SCALE_BENCH_USAGE: usage },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  let killed = false;
  // Observation, not synchronisation: the journal is read every 100 ms while the run goes on.
  while (!done) {
    await Promise.race([pause(100), exited]);
    const j = journalOf(spec.stateDir, resumeOf);
    if (j) watch.poll(j.file);
    if (!killed && spec.killAt !== undefined && watch.succeeded >= spec.killAt && fs.existsSync(`${usage}.pid`)) {
      process.kill(Number(fs.readFileSync(`${usage}.pid`, 'utf8')), 'SIGKILL');
      killed = true;
    }
  }
  const code = await exited;
  if (killed) {
    // The orphaned workers notice the lost master and exit; wait for them (bounded), so they do not load the next run.
    for (let i = 0; i < 300 && alive(child.pid!); i++) await pause(100);
    if (alive(child.pid!)) process.kill(-child.pid!, 'SIGKILL');
  }
  const j = journalOf(spec.stateDir, resumeOf);
  if (j) watch.poll(j.file);
  const [wall, user, sys] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number, number];
  const u = fs.existsSync(usage) ? (JSON.parse(fs.readFileSync(usage, 'utf8')) as { cpu: number; maxRssKiB: number }) : null;
  fs.rmSync(tmp, { recursive: true, force: true });
  return {
    ok: code === 0,
    wall,
    treeCpu: user + sys,
    masterCpu: u?.cpu ?? null,
    masterRssMiB: u ? u.maxRssKiB / 1024 : null,
    journalBytes: j ? fs.statSync(j.file).size : 0,
    events: watch.events,
    succeeded: watch.succeeded,
    runId: j?.runId ?? '',
    firstStep: watch.firstStepT !== null ? (watch.firstStepT - t0) / 1000 : null,
    load,
    stderr,
  };
}
