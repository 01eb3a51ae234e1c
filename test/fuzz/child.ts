/**
 * The process a fuzz target runs in (started by run.ts with `fork`): a
 * crash, an abort or an endless loop here cannot take the runner down, and
 * the runner can kill it. It loads one target, then runs the batches of
 * inputs it is sent, answering one `result` message per input, in order.
 * Each input's CPU time is measured here, so that a slow input is told from
 * a loaded machine; an input that never ends is caught by the runner's
 * watchdog instead.
 */
import { pathToFileURL } from 'node:url';
import type { FuzzTarget } from './target.js';
import type { ChildRequest, ChildResult } from './child-protocol.js';

let target: FuzzTarget | undefined;

const send = (m: ChildResult): void => {
  process.send?.(m);
};

/** First lines of a thrown value, for the failure report. */
function describeThrow(err: unknown): string {
  if (err instanceof Error) return (err.stack ?? `${err.name}: ${err.message}`).split('\n').slice(0, 6).join('\n');
  return `non-Error thrown: ${String(err)}`;
}

async function runOne(input: Uint8Array, i: number, hangMs: number): Promise<void> {
  const t = target as FuzzTarget;
  const before = process.cpuUsage();
  let verdict: ChildResult & { type: 'result' };
  try {
    await t.run(input);
    verdict = { type: 'result', i, verdict: 'accepted' };
  } catch (err) {
    verdict = t.isOwnError(err) ? { type: 'result', i, verdict: 'refused' } : { type: 'result', i, verdict: 'foreign', detail: describeThrow(err) };
  }
  const cpu = process.cpuUsage(before);
  const ms = (cpu.user + cpu.system) / 1000;
  if (ms > hangMs && verdict.verdict !== 'foreign') verdict = { type: 'result', i, verdict: 'slow', detail: `took ${Math.round(ms)} ms of CPU (limit ${hangMs} ms)` };
  send(verdict);
}

process.on('message', (raw: unknown) => {
  const m = raw as ChildRequest;
  void (async () => {
    if (m.type === 'init') {
      try {
        const mod = (await import(pathToFileURL(m.file).href)) as { targets?: readonly FuzzTarget[] };
        target = mod.targets?.find((x) => x.name === m.name);
        if (target === undefined) throw new Error(`${m.file} exports no target named ${m.name}`);
        send({ type: 'ready' });
      } catch (err) {
        send({ type: 'init-error', detail: describeThrow(err) });
      }
      return;
    }
    for (let k = 0; k < m.inputs.length; k++) {
      await runOne(m.inputs[k] as Uint8Array, m.start + k, m.hangMs);
      // Let the IPC channel flush, so the runner sees progress even from synchronous targets.
      await new Promise((r) => setImmediate(r));
    }
  })();
});
