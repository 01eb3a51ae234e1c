/**
 * Runs one example's native baseline in its own process, so the harness can
 * measure it exactly as it measures `sealflow run` (wall time, CPU, memory of
 * the process tree).
 *
 *   node dist/src/bench/native-child.js <example> <inputs.json> <threads> <workDir>
 */
import { readFile } from 'node:fs/promises';
import { EXAMPLES } from '../../examples/catalog.js';

async function main(argv: readonly string[]): Promise<void> {
  const [name, inputsFile, threads, workDir] = argv;
  if (name === undefined || inputsFile === undefined || threads === undefined || workDir === undefined) {
    throw new Error('usage: native-child <example> <inputs.json> <threads> <workDir>');
  }
  const ex = EXAMPLES[name];
  if (!ex) throw new Error(`unknown example '${name}'`);
  const inputs = JSON.parse(await readFile(inputsFile, 'utf8')) as Record<string, string>;
  await ex.native(inputs, { threads: Number(threads), workDir });
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`native-child: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
