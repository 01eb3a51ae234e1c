/** Running a local OpenSSH tool and collecting what it printed. */
import type { ChildProcess } from 'node:child_process';

export interface SshResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Waits for a child and collects its output; writes `input` to its stdin if given (otherwise stdin is the caller's). */
export function collect(child: ChildProcess, input?: Buffer): Promise<SshResult> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
    if (child.stdin && input !== undefined) {
      child.stdin.on('error', () => {}); // the process may exit before reading all input; its exit status says what happened
      child.stdin.end(input);
    }
  });
}

/** The last non-empty line of a tool's stderr, bounded, for one-line messages. */
export function oneLine(text: string): string {
  return (text.replace(/\r/g, '').trim().split('\n').filter((l) => l.trim() !== '').pop() ?? '').slice(0, 300);
}
