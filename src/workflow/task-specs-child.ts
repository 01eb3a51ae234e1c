/**
 * Child process of `checkTasks`: imports bundled task modules and prints the
 * `inputs`/`outputs` declarations of the named exports as JSON, so the
 * master never runs task code on its own event loop. Argument: a JSON array
 * of `{ url, exports }`. Output (stdout): `{ [url]: { [export]: spec | null } }`
 * where null means the export is not a `defineTask(...)` value.
 */
interface Request {
  readonly url: string;
  readonly exports: readonly string[];
}

type Spec = { inputs: unknown; outputs: unknown } | null;

async function main(): Promise<void> {
  const requests = JSON.parse(process.argv[2] ?? '[]') as Request[];
  const result: Record<string, Record<string, Spec>> = {};
  for (const r of requests) {
    const mod = (await import(r.url)) as Record<string, unknown>;
    const specs: Record<string, Spec> = {};
    for (const name of r.exports) {
      const v = mod[name] as { kind?: unknown; inputs?: unknown; outputs?: unknown } | undefined;
      specs[name] = typeof v === 'object' && v !== null && v.kind === 'sealflow-task' ? { inputs: v.inputs, outputs: v.outputs } : null;
    }
    result[r.url] = specs;
  }
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(3);
});
