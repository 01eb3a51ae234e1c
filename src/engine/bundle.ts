/**
 * Bundles a run's TypeScript tasks with esbuild into one ESM file (written
 * under the run directory), once per run — never per step. `import ... from
 * 'sealflow'` in a task resolves to this package's own entry. Each task's code
 * identity for resume is the SHA-256 over the files its module reaches
 * (esbuild's metafile), so editing one task re-runs only the steps using it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as esbuild from 'esbuild';
import { InputError } from '../errors.js';
import type { Step, Workflow } from '../workflow/model.js';

/** dist/src/index.js, the package entry task authors import as `sealflow`. */
const SEALFLOW_ENTRY = fileURLToPath(new URL('../index.js', import.meta.url));

export interface TaskBundle {
  /** The bundled ESM code (written to the run directory by the caller). */
  readonly code: string;
  /** `module#export` -> the name it has in the bundle. */
  readonly exportNames: ReadonlyMap<string, string>;
  /** `module#export` -> SHA-256 over the task module and everything it imports. */
  readonly codeDigests: ReadonlyMap<string, string>;
}

export function taskKey(module: string, exportName: string): string {
  return `${module}#${exportName}`;
}

/** Bundles every task of the workflow; null when it has none. Errors are the user's code: InputError. */
export async function bundleTasks(workflow: Workflow): Promise<TaskBundle | null> {
  const tasks = new Map<string, { module: string; export: string; step: Step }>();
  for (const step of workflow.steps) {
    if (step.run.kind === 'task') tasks.set(taskKey(step.run.module, step.run.export), { module: step.run.module, export: step.run.export, step });
  }
  if (tasks.size === 0) return null;
  const exportNames = new Map<string, string>();
  const lines: string[] = [];
  let i = 0;
  for (const [key, t] of tasks) {
    const name = `task${i++}`;
    exportNames.set(key, name);
    lines.push(`export { ${JSON.stringify(t.export).slice(1, -1)} as ${name} } from ${JSON.stringify(t.module)};`);
  }
  const resolveDir = path.dirname(workflow.file);
  const esbuild = await import('esbuild'); // loaded only for workflows with tasks
  let result: esbuild.BuildResult<{ write: false; metafile: true }>;
  try {
    result = await esbuild.build({
      stdin: { contents: lines.join('\n'), resolveDir, sourcefile: 'sealflow-tasks-entry.js', loader: 'js' },
      absWorkingDir: resolveDir,
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'silent',
      // CommonJS dependencies inside an ESM bundle still call require().
      banner: { js: "import { createRequire as __sfCreateRequire } from 'node:module'; const require = __sfCreateRequire(import.meta.url);" },
      plugins: [
        {
          name: 'sealflow-self',
          setup(b: esbuild.PluginBuild) {
            b.onResolve({ filter: /^sealflow$/ }, () => ({ path: SEALFLOW_ENTRY }));
          },
        },
      ],
    });
  } catch (e) {
    const errors = (e as { errors?: esbuild.Message[] }).errors ?? [];
    const first = errors[0];
    const where = first?.location ? `${path.resolve(resolveDir, first.location.file)}:${first.location.line}:${first.location.column + 1}: ` : '';
    const step = first?.location ? [...tasks.values()].find((t) => path.resolve(resolveDir, first.location?.file ?? '') === t.module)?.step : undefined;
    throw new InputError(
      `${where}the workflow's TypeScript tasks do not build${step ? ` (step ${step.id})` : ''}: ${first?.text ?? (e as Error).message}. Fix the task module and run again.`,
    );
  }
  const out = result.outputFiles[0];
  if (!out) throw new Error('esbuild produced no output');
  return { code: out.text, exportNames, codeDigests: digestsFromMetafile(result.metafile, resolveDir, tasks) };
}

function digestsFromMetafile(
  meta: esbuild.Metafile,
  cwd: string,
  tasks: ReadonlyMap<string, { module: string }>,
): Map<string, string> {
  const byAbs = new Map<string, esbuild.Metafile['inputs'][string]>();
  for (const [p, v] of Object.entries(meta.inputs)) byAbs.set(path.resolve(cwd, p), v);
  const fileDigest = new Map<string, string>();
  const digestOf = (abs: string): string => {
    let d = fileDigest.get(abs);
    if (!d) {
      d = fs.existsSync(abs) ? crypto.createHash('sha256').update(fs.readFileSync(abs)).digest('hex') : 'missing';
      fileDigest.set(abs, d);
    }
    return d;
  };
  const out = new Map<string, string>();
  for (const [key, t] of tasks) {
    const seen = new Set<string>();
    const stack = [t.module];
    while (stack.length > 0) {
      const f = stack.pop() as string;
      if (seen.has(f)) continue;
      seen.add(f);
      for (const imp of byAbs.get(f)?.imports ?? []) if (!imp.external) stack.push(path.resolve(cwd, imp.path));
    }
    const h = crypto.createHash('sha256');
    for (const f of [...seen].sort()) h.update(`${path.relative(cwd, f)}\0${digestOf(f)}\0`);
    out.set(key, h.digest('hex'));
  }
  return out;
}
