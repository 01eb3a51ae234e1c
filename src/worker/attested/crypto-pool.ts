/**
 * The attested executor's crypto worker pool. The executor runs from an
 * in-memory bundle, so the pool cannot start its worker thread from a file
 * beside it; the master embeds the bundled chunk worker in the executor
 * bundle (`__SEALFLOW_CHUNK_WORKER__`, executor-bundle.ts), sealed and
 * hash-checked with the rest of it, and the pool starts it from that source.
 * Without the embedded source (the executor run from dist/ in tests) the
 * pool loads chunk-worker.js as usual.
 */
import { setChunkWorkerSource } from '../../crypto/worker-source.js';

declare const __SEALFLOW_CHUNK_WORKER__: string | undefined;

export function useEmbeddedChunkWorker(): boolean {
  if (typeof __SEALFLOW_CHUNK_WORKER__ !== 'string') return false;
  setChunkWorkerSource(__SEALFLOW_CHUNK_WORKER__);
  return true;
}
