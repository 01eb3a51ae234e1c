/** `sealflow runs`: the runs in the state directory, newest last. */
import type { Command } from 'commander';
import { formatDuration, summarizeRun } from '../../engine/inspect.js';
import { DEFAULT_STATE_DIR, listRunIds } from '../../engine/run-dir.js';
import { InputError } from '../../errors.js';

export function register(program: Command): void {
  program
    .command('runs')
    .description('list the runs recorded in the state directory (id, state, workflow, steps, duration)')
    .option('--state-dir <dir>', 'where runs are kept', DEFAULT_STATE_DIR)
    .option('--json', 'one JSON object per run')
    .action((opts: { stateDir: string; json?: boolean }) => {
      const rows = listRunIds(opts.stateDir).flatMap((id) => {
        try {
          const s = summarizeRun(opts.stateDir, id);
          return s ? [s] : [];
        } catch (e) {
          // One damaged journal does not hide the other runs: say which, and go on.
          if (!(e instanceof InputError)) throw e;
          process.stderr.write(`sealflow: ${e.message}\n`);
          process.exitCode = 1;
          return [];
        }
      });
      if (opts.json) {
        for (const s of rows) {
          const { instances, ...rest } = s;
          process.stdout.write(`${JSON.stringify({ ...rest, steps: instances.length })}\n`);
        }
        return;
      }
      if (rows.length === 0) {
        process.stdout.write(`no runs in ${opts.stateDir} (start one with \`sealflow run <flow.yaml>\`)\n`);
        return;
      }
      const lines = [['RUN', 'STATE', 'WORKFLOW', 'STEPS', 'STARTED', 'DURATION']];
      for (const s of rows) {
        const ok = s.instances.filter((i) => i.state === 'succeeded' || i.state === 'skipped').length;
        const dur = s.endedAt !== undefined ? formatDuration(s.endedAt - s.startedAt) : '-';
        lines.push([s.id, s.state, s.name, `${ok}/${s.instances.length}`, new Date(s.startedAt).toISOString().replace('T', ' ').slice(0, 19), dur]);
      }
      const widths = (lines[0] as string[]).map((_, c) => Math.max(...lines.map((l) => (l[c] ?? '').length)));
      for (const l of lines) process.stdout.write(`${l.map((x, c) => x.padEnd(widths[c] ?? 0)).join('  ').trimEnd()}\n`);
    });
}
