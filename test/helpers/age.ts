/** Runs the real `age` / `age-keygen` binaries (Debian package `age`) for interop tests. */
import { execFileSync } from 'node:child_process';
import { needs } from './needs.js';

/** Why interop tests cannot run here (printed loudly), or false if `age` and `age-keygen` are installed. */
export const ageMissing: string | false = needs(['age']);

export function age(args: readonly string[], input?: Uint8Array): Buffer {
  return execFileSync('age', args, { input: input ?? Buffer.alloc(0), maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A fresh age-keygen identity: the key file text and its recipient. */
export function ageKeygen(): { keyFile: string; recipient: string } {
  const keyFile = execFileSync('age-keygen', [], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const recipient = execFileSync('age-keygen', ['-y'], { input: keyFile }).toString().trim();
  return { keyFile, recipient };
}

/** `age-keygen -y FILE`: the recipient of the identity in FILE. */
export function ageKeygenY(file: string): string {
  return execFileSync('age-keygen', ['-y', file]).toString().trim();
}
