/** `sealflow serve`: the live view of a run's report (docs/report.md). */
import type { Command } from 'commander';
import { DEFAULT_STATE_DIR } from '../../engine/run-dir.js';
import { InputError } from '../../errors.js';
import { serveRun } from '../../report/serve.js';
import { source } from './report.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the report of a run on 127.0.0.1, read-only, updating as its journal grows (a token in the URL guards it)')
    .argument('[id]', 'run id (see `sealflow runs`)')
    .option('--state-dir <dir>', 'where runs are kept', DEFAULT_STATE_DIR)
    .option('--run-dir <dir>', 'serve the run in this run directory instead of one of --state-dir')
    .option('--port <n>', 'port on 127.0.0.1 (default: any free one)', '0')
    .action(async (id: string | undefined, opts: { stateDir: string; runDir?: string; port: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`--port ${opts.port}: not a port number (0 to 65535)`);
      const server = await serveRun(source(id, opts), { port });
      process.stderr.write(`live view: ${server.url}\n(read-only, 127.0.0.1 only; the token in this URL is printed once and not journalled; Ctrl-C stops it)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
