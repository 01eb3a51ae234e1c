/**
 * Messages between the chunk pool (main thread) and its workers. A batch's
 * input and output live in one SharedArrayBuffer slot owned by the pipeline,
 * so only offsets cross the channel, never payload bytes.
 */
import type { FileJob, FileJobFailure } from './filemode.js';
import type { BatchResult } from './stream.js';

/** Main → worker: seal or open one batch of consecutive chunks. */
export interface BatchJob {
  readonly type: 'seal' | 'open';
  readonly id: number;
  /** The 32-byte payload key. */
  readonly key: Uint8Array;
  /** STREAM counter of the batch's first chunk. */
  readonly counter: number;
  /** Whether the batch's last chunk is the payload's final chunk. */
  readonly final: boolean;
  readonly buffer: SharedArrayBuffer;
  readonly inOffset: number;
  readonly inLength: number;
  readonly outOffset: number;
  readonly outCapacity: number;
}

/** Main → worker: take part in a file job (see filemode.ts) until its batches run out. */
export interface FileJobMsg extends FileJob {
  readonly type: 'file';
  readonly id: number;
}

export type ToWorker = BatchJob | FileJobMsg;

/** Worker → main. */
export type FromWorker =
  | { readonly type: 'result'; readonly id: number; readonly result: BatchResult }
  | { readonly type: 'file-result'; readonly id: number; readonly failure: FileJobFailure }
  | { readonly type: 'error'; readonly id: number; readonly message: string };
