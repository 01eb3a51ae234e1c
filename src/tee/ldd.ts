/**
 * A binary's shared libraries as `ldd` reports them, for the trusted files of
 * a manifest or the contents of an image. Run on the owner's side, on the
 * pinned binaries that will be measured.
 */
import { execFileSync } from 'node:child_process';
import type { MeasuredBinary } from './plan.js';

/** Parses `ldd` output: `name => /path (0x…)` and `/path (0x…)` lines; vdso and "not found" are left out (not found is an error). */
export function parseLdd(text: string, binary: string): string[] {
  const libs: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('linux-vdso') || line.includes('statically linked')) continue;
    if (/=> not found/.test(line)) throw new Error(`${binary}: ldd reports a missing library (${line}); install it before planning`);
    const m = /=>\s*(\/\S+)\s*\(0x/.exec(line) ?? /^(\/\S+)\s*\(0x/.exec(line);
    if (m) libs.push(m[1] as string);
  }
  return [...new Set(libs)].sort();
}

/** `binary` (absolute) with its libraries; throws with the binary's name if ldd cannot read it. */
export function measuredBinary(binary: string): MeasuredBinary {
  let out: string;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const text = (e as { stdout?: string }).stdout ?? '';
    if (/not a dynamic executable/.test(text + String((e as { stderr?: string }).stderr ?? ''))) return { path: binary, libs: [] };
    throw new Error(`ldd ${binary} failed: ${(e as Error).message.split('\n')[0]}`);
  }
  return { path: binary, libs: parseLdd(out, binary) };
}
