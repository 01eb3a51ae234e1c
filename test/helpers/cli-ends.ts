/**
 * Runs the built CLI and requires it to end by itself: a child still running
 * at the deadline is killed and the run reported as `hung` (the caller fails
 * the test). The deadline is generous on purpose — it catches a process that
 * never exits, not a slow one. Standard input is a named file (a redirect,
 * `< file`), a pipe fed from a file, or empty.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { CLI } from './cli.js';

export const END_DEADLINE_MS = 60_000;

export type Stdin = { readonly redirect: string } | { readonly pipe: string } | null;

export interface EndedRun {
  /** Exit status; null when the process was killed at the deadline or by a signal. */
  readonly code: number | null;
  readonly hung: boolean;
  readonly stdoutBytes: number;
  readonly stderr: string;
}

export function runCliToEnd(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: Stdin } = {}): Promise<EndedRun> {
  const stdin = opts.stdin ?? null;
  const inFd = stdin !== null && 'redirect' in stdin ? fs.openSync(stdin.redirect, 'r') : null;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? process.cwd(),
      env: { ...process.env, ...opts.env },
      stdio: [inFd ?? 'pipe', 'pipe', 'pipe'],
    });
    if (inFd !== null) fs.closeSync(inFd);
    let hung = false;
    const deadline = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, END_DEADLINE_MS);
    let stdoutBytes = 0;
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => (stdoutBytes += b.length));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(deadline);
      resolve({ code, hung, stdoutBytes, stderr: Buffer.concat(err).toString('utf8') });
    });
    if (child.stdin) {
      // The child may fail and exit before it has read everything: that is what is tested.
      child.stdin.on('error', () => undefined);
      if (stdin !== null && 'pipe' in stdin) fs.createReadStream(stdin.pipe).on('error', reject).pipe(child.stdin);
      else child.stdin.end();
    }
  });
}
