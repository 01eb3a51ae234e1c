/**
 * The receipt's view of the run journal: the records it reads, with only the
 * fields it copies. The journal's own types are the engine's
 * (src/engine/events.ts, which checks at compile time that its events fit
 * these); the master reads them without importing the engine. Records of
 * other kinds are skipped.
 */
import type { ToolCheck } from '../../protocol/execution.js';

/** Any journal record. */
export interface JournalRecord {
  readonly type: string;
  readonly t: number;
}

export interface JournalRunStarted extends JournalRecord {
  readonly type: 'run-started';
  readonly name: string;
}

export interface JournalRunResumed extends JournalRecord {
  readonly type: 'run-resumed';
}

export interface JournalRunFinished extends JournalRecord {
  readonly type: 'run-finished';
}

export interface JournalWorkerStarted extends JournalRecord {
  readonly type: 'worker-started';
  readonly worker: string;
  readonly deployment: string;
  readonly connector: string;
  readonly platform: string;
  readonly host: string;
  /** The batch job the worker ran in (connector `slurm`). */
  readonly job?: string;
}

export interface JournalStepStarted extends JournalRecord {
  readonly type: 'step-started';
  readonly step: string;
  readonly index: number;
  readonly attempt: number;
  readonly worker: string;
}

export interface JournalStepSucceeded extends JournalRecord {
  readonly type: 'step-succeeded';
  readonly step: string;
  readonly index: number;
  readonly attempt: number;
  readonly tools?: readonly ToolCheck[];
}

export type ReceiptRecord = JournalRunStarted | JournalRunResumed | JournalRunFinished | JournalWorkerStarted | JournalStepStarted | JournalStepSucceeded;

/** Whether `e` is a record of kind `type` (as the engine journals it). */
export function isRecord<K extends ReceiptRecord['type']>(e: JournalRecord, type: K): e is Extract<ReceiptRecord, { type: K }> {
  return e.type === type;
}
