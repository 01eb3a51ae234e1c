/**
 * Worker thread of `checkTasks`: imports bundled task modules and reports the
 * `inputs`/`outputs` declarations of the named exports, so task code never
 * runs on the master's event loop. workerData: `Request[]`. Posts
 * `{ [url]: { [export]: spec | null } }` where null means the export is not a
 * `defineTask(...)` value; an import that throws fails the worker.
 */
import { parentPort, workerData } from 'node:worker_threads';

export interface SpecRequest {
  readonly url: string;
  readonly exports: readonly string[];
}

export type SpecReply = Record<string, Record<string, { inputs: unknown; outputs: unknown } | null>>;

async function main(): Promise<void> {
  const requests = workerData as SpecRequest[];
  const result: SpecReply = {};
  for (const r of requests) {
    const mod = (await import(r.url)) as Record<string, unknown>;
    const specs: SpecReply[string] = {};
    for (const name of r.exports) {
      const v = mod[name] as { kind?: unknown; inputs?: unknown; outputs?: unknown } | undefined;
      // Plain data only: the declarations are maps of port id -> type string.
      specs[name] = typeof v === 'object' && v !== null && v.kind === 'sealflow-task' ? JSON.parse(JSON.stringify({ inputs: v.inputs ?? null, outputs: v.outputs ?? null })) : null;
    }
    result[r.url] = specs;
  }
  parentPort?.postMessage(result);
}

await main();
