/** Workflow variants the harness runs: dna-alignment with every `threads` requirement set to N. */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument, isMap } from 'yaml';

/**
 * A copy of `<exampleDir>/flow.yaml` under `workDir` whose steps that declare
 * `requirements.threads` get `threads`; returns its directory. Only for
 * command-only workflows (TypeScript task paths would be relative to the original).
 */
export async function flowWithThreads(exampleDir: string, threads: number, workDir: string): Promise<string> {
  const dir = path.join(workDir, 'flows', `${path.basename(exampleDir)}-t${threads}`);
  const file = path.join(dir, 'flow.yaml');
  if (existsSync(file)) return dir;
  const doc = parseDocument(await readFile(path.join(exampleDir, 'flow.yaml'), 'utf8'));
  const steps = doc.get('steps');
  if (!isMap(steps)) throw new Error(`${exampleDir}/flow.yaml: no steps map`);
  for (const item of steps.items) {
    const id = String((item.key as { value?: unknown }).value ?? item.key);
    if (doc.hasIn(['steps', id, 'requirements', 'threads'])) doc.setIn(['steps', id, 'requirements', 'threads'], threads);
  }
  await mkdir(dir, { recursive: true });
  await writeFile(file, doc.toString());
  return dir;
}

/** A run configuration with one local deployment on `platform` (for platforms other than the default `none`). */
export async function runConfigFor(platform: string, workers: number, workDir: string): Promise<string> {
  const file = path.join(workDir, 'configs', `${platform}.yaml`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `deployments:\n  local: { connector: local, platform: ${platform}, workers: ${workers} }\ndefault: local\n`);
  return file;
}
