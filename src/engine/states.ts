/**
 * Lifecycle states of a run and of its steps, as the journal records them and
 * `sealflow show` prints them.
 */

/** The state of one step (for a scattered step: of one instance, or the aggregate of its instances). */
export type StepState =
  /** Waiting for the steps it reads from. */
  | 'pending'
  /** Every input is available; waiting for a free slot on a worker. */
  | 'ready'
  /** Assigned to a worker and executing (an attempt is in flight). */
  | 'running'
  /** Finished with exit status 0 (or reused from an earlier run on resume); its outputs are stored. */
  | 'succeeded'
  /** The last allowed attempt failed; its error and stderr tail are in the journal. */
  | 'failed'
  /** Its `when` input was false (or every scatter instance was skipped); its outputs are null. */
  | 'skipped'
  /** Never finished: the run stopped (Ctrl-C, fail-fast) or a step it reads from failed. Resume runs it again. */
  | 'cancelled';

/** The state of a whole run. */
export type RunState =
  /** The master is executing it. */
  | 'running'
  /** Every step succeeded or was skipped; the workflow outputs are collected. */
  | 'succeeded'
  /** At least one step failed. Resumable. */
  | 'failed'
  /** Stopped by SIGINT/SIGTERM; running children were killed and the journal closed. Resumable. */
  | 'cancelled'
  /** The journal has no end and its master is gone (crash, SIGKILL, power loss). Resumable. */
  | 'interrupted';
