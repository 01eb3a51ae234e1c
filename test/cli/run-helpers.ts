/** Helpers for CLI tests of `sealflow run`: a scratch copy of a fixture, a streaming CLI child, journal reading. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, REPO } from '../helpers/cli.js';
import type { RunEvent } from '../../src/engine/events.js';
import { readJournal } from '../../src/engine/journal.js';
import { alive, PATIENCE_MS } from '../helpers/wait.js';

export const FIXTURES = path.join(REPO, 'test', 'fixtures', 'engine');

/** A temporary working directory with a copy of fixture `name` in it. */
export function workdirWith(name: string): { cwd: string; flow: string } {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-cli-'));
  fs.cpSync(path.join(FIXTURES, name), path.join(cwd, name), { recursive: true });
  return { cwd, flow: path.join(cwd, name) };
}

export interface Streaming {
  readonly child: ChildProcessWithoutNullStreams;
  /** Events seen so far on stdout (--json). */
  readonly events: RunEvent[];
  /** Resolves with the first event that satisfies `pred`. */
  waitFor(pred: (e: RunEvent, all: readonly RunEvent[]) => boolean, timeoutMs?: number): Promise<RunEvent>;
  readonly exited: Promise<{ code: number | null; signal: string | null; stderr: string }>;
}

/** Starts `sealflow run ... --json` and parses its event stream as it comes. */
export function startCli(args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): Streaming {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
  const events: RunEvent[] = [];
  const waiters: { pred: (e: RunEvent, all: readonly RunEvent[]) => boolean; resolve: (e: RunEvent) => void }[] = [];
  let buf = '';
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdout.on('data', (b: Buffer) => {
    buf += b.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const e = JSON.parse(buf.slice(0, nl)) as RunEvent;
      buf = buf.slice(nl + 1);
      events.push(e);
      for (const w of [...waiters]) {
        if (w.pred(e, events)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return {
    child,
    events,
    exited,
    waitFor(pred, timeoutMs = 60_000) {
      const hit = events.find((e) => pred(e, events));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for an event; seen: ${events.map((e) => e.type).join(', ')}; stderr: ${stderr}`)), timeoutMs);
        waiters.push({ pred, resolve: (e) => (clearTimeout(t), resolve(e)) });
      });
    },
  };
}

export function journalOf(cwd: string, runId: string): RunEvent[] {
  return readJournal(path.join(cwd, '.sealflow', 'runs', runId, 'journal.jsonl')).events;
}

export { alive } from '../helpers/wait.js';

/** Waits until every pid is gone (or the time is up); returns those still alive. */
export async function waitGone(pids: readonly number[], ms = PATIENCE_MS): Promise<number[]> {
  const end = Date.now() + ms;
  for (;;) {
    const left = pids.filter((p) => alive(p));
    if (left.length === 0 || Date.now() > end) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}
