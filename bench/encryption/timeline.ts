/**
 * Where one sealflow run spends its wall time: runs the command with
 * SEALFLOW_CRYPTO_TRACE=1 (see src/crypto/trace.ts) and condenses the trace
 * into one line — when the worker was spawned and joined, when each thread
 * started and ended its share of the payload, how many batches and how many
 * milliseconds of read / crypto / write / GC each thread spent, and when the
 * process ended (our own clock around it, so it includes Node's start).
 */
import { spawnSync } from 'node:child_process';

interface Share {
  readonly batches: number;
  readonly read: number;
  readonly crypto: number;
  readonly write: number;
  readonly gc: number;
}

export function timeline(cmd: string, args: readonly string[]): string {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { ...process.env, SEALFLOW_CRYPTO_TRACE: '1' }, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const at: Record<string, number> = {};
  const shares: Record<string, Share> = {};
  for (const m of r.stderr.matchAll(/^trace\s+([\d.]+) ms (main|worker)\s+(.*)$/gm)) {
    const [, ms, thread, what] = m as unknown as [string, string, string, string];
    at[`${thread} ${what.replace(/,.*$/, '')}`] ??= Number(ms);
    const s = /(\d+)\/\d+ batches; read ([\d.]+) crypto ([\d.]+) write ([\d.]+) gc ([\d.]+)/.exec(what);
    if (s) shares[thread] = { batches: Number(s[1]), read: Number(s[2]), crypto: Number(s[3]), write: Number(s[4]), gc: Number(s[5]) };
  }
  const t = (k: string): string => (at[k] === undefined ? '-' : at[k]!.toFixed(0));
  const share = (k: string): string => {
    const s = shares[k];
    return s ? `${s.batches} batches (read ${s.read.toFixed(0)}, crypto ${s.crypto.toFixed(0)}, write ${s.write.toFixed(0)}, gc ${s.gc.toFixed(0)})` : 'none';
  };
  return (
    `worker spawned ${t('main pool: spawning a worker')}, command starts ${t('main action')}, ` +
    `payload main ${t('main file job: start')}–${t('main file job: end')} / worker ${t('worker file job: start')}–${t('worker file job: end')}, ` +
    `exit ${wall.toFixed(0)} ms; main ${share('main')}; worker ${share('worker')}`
  );
}
