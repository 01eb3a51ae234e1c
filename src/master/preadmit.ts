/**
 * Admission ahead of need (docs/protocol.md §10): the run's file and
 * directory inputs are known before any worker is ready, so the master
 * starts encrypting them to the broker (or hashing an age input) while the
 * workers are being provisioned and attested, instead of when the first
 * step that reads them is assigned. The assignment then finds them admitted
 * (one admission per file). A failure here is not reported: the assignment
 * admits the file again and fails the step with the reason.
 */
import type { PortValue } from '../workflow/model.js';
import { sealablePaths } from '../protocol/sealed-values.js';
import { attestedSession } from './session.js';

export function preadmitInputs(runId: string, inputs: Readonly<Record<string, PortValue>>): void {
  const paths = [...new Set(sealablePaths(inputs))];
  if (paths.length === 0) return;
  attestedSession(runId).then(
    (s) => {
      for (const p of paths) s.admit(p).catch(() => undefined);
    },
    () => undefined, // the workers' start reports it
  );
}
