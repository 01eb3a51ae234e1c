/**
 * Child process of `checkTasks`: imports bundled task modules and writes the
 * `inputs`/`outputs` declarations of the named exports as JSON to a result
 * file (not stdout, which task code may print to). Arguments: the result
 * file, then a JSON `SpecRequest[]`. Result: `{ [url]: { [export]: spec | null } }`
 * where null means the export is not a `defineTask(...)` value. An import
 * that throws ends the process with status 3 and the error on stderr.
 */
import { writeFileSync } from 'node:fs';

export interface SpecRequest {
  readonly url: string;
  readonly exports: readonly string[];
}

export type SpecReply = Record<string, Record<string, { inputs: unknown; outputs: unknown } | null>>;

async function main(): Promise<void> {
  const [resultFile, json] = process.argv.slice(2);
  if (resultFile === undefined || json === undefined) throw new Error('usage: task-specs-child.js RESULT-FILE REQUESTS-JSON');
  const result: SpecReply = {};
  for (const r of JSON.parse(json) as SpecRequest[]) {
    const mod = (await import(r.url)) as Record<string, unknown>;
    const specs: SpecReply[string] = {};
    for (const name of r.exports) {
      const v = mod[name] as { kind?: unknown; inputs?: unknown; outputs?: unknown } | undefined;
      specs[name] = typeof v === 'object' && v !== null && v.kind === 'sealflow-task' ? { inputs: v.inputs ?? null, outputs: v.outputs ?? null } : null;
    }
    result[r.url] = specs;
  }
  writeFileSync(resultFile, JSON.stringify(result), { mode: 0o600 });
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  process.exit(3);
});
