/**
 * One cold measurement in a fresh process (spawned by main.ts):
 * `sealflow FILE` times loadWorkflow (import excluded, reported apart);
 * `yaml FILE` times the `yaml` package's parseDocument with a LineCounter
 * (what the loader would cost without its fast parser, before any checks).
 */
import { readFile } from 'node:fs/promises';

const [mode, file] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: child.js sealflow|yaml FILE');
const t0 = performance.now();
if (mode === 'sealflow') {
  const { loadWorkflow } = await import('../../src/workflow/index.js');
  const t1 = performance.now();
  const wf = await loadWorkflow(file);
  const t2 = performance.now();
  process.stdout.write(JSON.stringify({ importMs: t1 - t0, loadMs: t2 - t1, steps: wf.steps.length }));
} else {
  const { parseDocument, LineCounter } = await import('yaml');
  const text = await readFile(file, 'utf8');
  const t1 = performance.now();
  const doc = parseDocument(text, { lineCounter: new LineCounter() });
  const t2 = performance.now();
  process.stdout.write(JSON.stringify({ importMs: t1 - t0, loadMs: t2 - t1, errors: doc.errors.length }));
}
