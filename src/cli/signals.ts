/**
 * Exit status after a signal, by the shell convention (128 + the signal's
 * number): SIGINT (Ctrl-C) 130, SIGTERM 143. `sealflow run` cancels the run
 * cleanly on the first signal and then exits with this status, so a script
 * sees the same code whether it ran `sealflow` or `npx sealflow`.
 */
import os from 'node:os';

export function signalExitCode(sig: NodeJS.Signals): number {
  return 128 + (os.constants.signals[sig] ?? 0);
}
