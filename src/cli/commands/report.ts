/** `sealflow report`: a run's HTML report (docs/report.md). */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_STATE_DIR } from '../../engine/run-dir.js';
import { InputError } from '../../errors.js';
import { runSource, writeRunReport, type ReportSource } from '../../report/build.js';

/** `<id>` in the state directory, or a run directory given with --run-dir (a copied run: journal.jsonl, logs/, receipt.json). */
export function source(id: string | undefined, opts: { stateDir: string; runDir?: string }): ReportSource {
  if (opts.runDir !== undefined) {
    const journal = path.join(opts.runDir, 'journal.jsonl');
    if (!fs.existsSync(journal)) throw new InputError(`--run-dir ${opts.runDir}: no journal.jsonl there (give a run directory: <state-dir>/runs/<id>)`);
    const receipt = path.join(opts.runDir, 'receipt.json');
    return { dir: opts.runDir, runId: id ?? path.basename(path.resolve(opts.runDir)), ...(fs.existsSync(receipt) ? { receipt } : {}) };
  }
  if (id === undefined) throw new InputError('give a run id (see `sealflow runs`) or --run-dir DIR');
  return runSource(opts.stateDir, id);
}

export function register(program: Command): void {
  program
    .command('report')
    .description('write one self-contained HTML report of a run: summary, timeline per worker, step figures, attestation, key releases (file labels and hashes, never keys), failures')
    .argument('[id]', 'run id (see `sealflow runs`)')
    .requiredOption('-o, --output <file>', 'the HTML file to write')
    .option('--identity <file>', "the owner identity: include the decrypted tails of failed steps' stderr, the input values and file names (the report is then written 0600 and says so at its top)")
    .option('--state-dir <dir>', 'where runs are kept', DEFAULT_STATE_DIR)
    .option('--run-dir <dir>', 'report the run in this run directory instead of one of --state-dir')
    .addHelpText('after', '\nWithout --identity the report holds no plaintext data, sealed values, input values or file names.\nExample:\n  sealflow report 20261122-131905-3fa9c1 -o report.html')
    .action(async (id: string | undefined, opts: { output: string; identity?: string; stateDir: string; runDir?: string }) => {
      const r = await writeRunReport(source(id, opts), opts.output, opts.identity !== undefined ? { identity: opts.identity } : {});
      process.stdout.write(`report written to ${r.file} (${Math.ceil(r.bytes / 1024)} KiB${r.private ? ', holds decrypted content: mode 0600' : ''})\n`);
    });
}
