/**
 * `sealflow show <id>`: a run's steps with state, worker and host, duration
 * and exit status; its outputs where `sealflow run` published them, and the
 * receipt beside them.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { formatDuration, summarizeRun } from '../../engine/inspect.js';
import { DEFAULT_STATE_DIR, RunDir } from '../../engine/run-dir.js';
import { RECEIPT_FILE } from '../../master/receipt/model.js';
import { formatOutputs } from '../../engine/publish.js';
import { revealForOwner } from '../sealed-display.js';
import { readPublication } from '../../engine/publication.js';

/** `p` relative to the current directory when it lies below it, else absolute. */
function shortPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

export function register(program: Command): void {
  program
    .command('show')
    .description('show one run: each step instance with its state, worker@host, duration and exit status')
    .argument('<id>', 'run id (see `sealflow runs`)')
    .option('--state-dir <dir>', 'where runs are kept', DEFAULT_STATE_DIR)
    .option('--json', 'the summary as one JSON object')
    .action(async (id: string, opts: { stateDir: string; json?: boolean }) => {
      const s = summarizeRun(opts.stateDir, id);
      if (!s) throw new InputError(`no run ${id} in ${opts.stateDir} (see \`sealflow runs\`)`);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(s)}\n`);
        return;
      }
      const out: string[] = [];
      out.push(`run ${s.id}  ${s.state}  (${s.name}: ${s.workflow})`);
      if (s.endedAt !== undefined) out.push(`duration ${formatDuration(s.activeMs)}${s.sessions > 1 ? ` running, over ${s.sessions} sessions (idle time between them not counted)` : ''}`);
      if (s.message) out.push(`message: ${s.message}`);
      if (s.state === 'interrupted' || s.state === 'failed' || s.state === 'cancelled') out.push(`resume with: sealflow run --resume ${s.id}`);
      if (s.tornTail) out.push('note: the journal ends in a torn line (the master was killed mid-write); resume repairs it');
      const rows = [['STEP', 'STATE', 'WORKER@HOST', 'DURATION', 'EXIT', 'ATTEMPTS']];
      for (const i of s.instances) {
        rows.push([
          i.scattered ? `${i.step}[${i.index}]` : i.step,
          i.reused ? 'succeeded (reused)' : i.state,
          i.worker ? `${i.worker}@${i.host ?? '?'}` : '-',
          i.durationMs !== undefined ? formatDuration(i.durationMs) : '-',
          i.exitStatus === undefined || i.exitStatus === null ? '-' : String(i.exitStatus),
          String(i.attempts),
        ]);
      }
      const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
      for (const r of rows) out.push(r.map((x, c) => x.padEnd(widths[c] ?? 0)).join('  ').trimEnd());
      for (const i of s.instances) if (i.state === 'failed' && i.message) out.push(`${i.step}${i.scattered ? `[${i.index}]` : ''}: ${i.message}`);
      // The published outputs, as `sealflow run` printed them; sealed values (§10.2) decrypted for the owner's eyes.
      const run = new RunDir(opts.stateDir, id);
      const published = readPublication(run);
      if (published && Object.keys(published.outputs).length > 0) {
        out.push('outputs:', ...formatOutputs(await revealForOwner(published.outputs)));
        out.push(`step instance files: ${shortPath(path.join(run.root, 'steps'))}/<step>.<index>/`);
      } else if (Object.keys(s.outputs).length > 0) {
        out.push('outputs (not published; the step instance files):', ...formatOutputs(await revealForOwner(s.outputs)));
      }
      const receipt = path.join(published?.dir ?? run.outputs, RECEIPT_FILE);
      if (fs.existsSync(receipt)) out.push(`receipt: ${shortPath(receipt)} (check it: sealflow receipt verify ${shortPath(receipt)})`);
      process.stdout.write(`${out.join('\n')}\n`);
    });
}
