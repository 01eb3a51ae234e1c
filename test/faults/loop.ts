/**
 * The remote fault loops' shared runner (ssh here, slurm's `scancel` loop
 * too): a fault scenario repeated `SEALFLOW_FAULT_ITERATIONS` times (2 by
 * default, as under `npm test`; 20 for the recorded runs in
 * docs/connectors/ssh.md). Every iteration runs to the end even when an
 * earlier one failed, so a loop reports how many of its iterations failed,
 * not only the first failure; then it fails with each failure's message.
 * It prints one summary line per loop (`# fault loop <name>: …`) with the
 * iterations, failures, wall time and the times the run took to notice the
 * fault, which is what docs/connectors/ssh.md records.
 */

/** Iterations of each remote fault loop: `SEALFLOW_FAULT_ITERATIONS`, default 2. */
export const FAULT_ITERATIONS = Math.max(1, Math.floor(Number(process.env['SEALFLOW_FAULT_ITERATIONS'] ?? '2')) || 2);

/** What one iteration reports: how long the run took to notice the fault (ms), if it measured it. */
export interface IterationResult {
  readonly noticeMs?: number;
}

export interface LoopSummary {
  readonly name: string;
  readonly iterations: number;
  readonly failures: readonly string[];
  readonly wallMs: number;
  readonly noticeMs: readonly number[];
}

/** One line for logs and docs: `fault loop <name>: 20 iterations, 0 failures, 83.1 s; noticed in 0.1–4.3 s (median 0.2 s)`. */
export function summaryLine(s: LoopSummary): string {
  const n = [...s.noticeMs].sort((a, b) => a - b);
  const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const notice = n.length === 0 ? '' : `; noticed in ${sec(n[0]!)}–${sec(n[n.length - 1]!)} (median ${sec(n[Math.floor(n.length / 2)]!)})`;
  return `fault loop ${s.name}: ${s.iterations} iterations, ${s.failures.length} failures, ${sec(s.wallMs)}${notice}`;
}

/**
 * Runs `iteration` FAULT_ITERATIONS times (or `iterations`), in order; prints
 * the summary line; throws if any iteration failed, listing each failure.
 */
export async function faultLoop(name: string, iteration: (i: number) => Promise<IterationResult>, iterations = FAULT_ITERATIONS): Promise<LoopSummary> {
  const failures: string[] = [];
  const noticeMs: number[] = [];
  const t0 = Date.now();
  for (let i = 0; i < iterations; i++) {
    try {
      const r = await iteration(i);
      if (r.noticeMs !== undefined) noticeMs.push(r.noticeMs);
    } catch (e) {
      failures.push(`iteration ${i + 1}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
  const summary: LoopSummary = { name, iterations, failures, wallMs: Date.now() - t0, noticeMs };
  process.stderr.write(`# ${summaryLine(summary)}\n`);
  if (failures.length > 0) throw new Error(`${summaryLine(summary)}\n${failures.join('\n')}`);
  return summary;
}
