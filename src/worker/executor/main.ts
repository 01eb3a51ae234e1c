/**
 * The executor: a long-lived worker process that receives step attempts on
 * the execution channel (docs/protocol.md §1) and runs them, several at once
 * if the master assigns several. It exits when told to shut down, or by
 * itself when the channel to the master closes (then it first kills what it
 * is running and removes their scratch directories).
 *
 * argv: [workerId]. A plain worker (platform `none`, `--no-encrypt`) is
 * started directly (the installed `sealflow`, running its bundle, starts a
 * local one from the bundled copy in dist/cli/executor/:
 * scripts/bundle-cli.mjs); every other worker runs `../attested/main.ts`,
 * started by the provisioner after the key exchange.
 */
import { ipcChannel } from '../../protocol/channel.js';
import { validateMasterToWorker, type MasterToWorker, type WorkerToMaster } from '../../protocol/execution.js';
import { executorLoop } from './loop.js';
import { startWorkerCpuProfile } from '../cpu-prof.js';

startWorkerCpuProfile(process.argv[2] ?? 'executor'); // off unless SEALFLOW_WORKER_CPU_PROF is set (profiling only)
const loop = executorLoop({
  channel: ipcChannel<WorkerToMaster, MasterToWorker>(process, {
    validate: validateMasterToWorker,
    onRefuse: (e) => process.stderr.write(`executor ${process.argv[2] ?? 'worker'}: closing the channel to the master: ${e.message}\n`),
  }),
  name: process.argv[2] ?? 'worker',
  assign: (msg, l) => l.run(msg),
});
// The master owns cancellation; a terminal's Ctrl-C reaching this group is left to it.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => void loop.stopAll(143));
