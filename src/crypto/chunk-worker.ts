/** A chunk pool worker: seals or opens batches in shared memory, or takes part in a file job. */
import { parentPort } from 'node:worker_threads';
import { runFileBatches } from './filemode.js';
import { collectChunkGarbage } from './gc.js';
import { openBatch, sealBatch } from './stream.js';
import type { BatchJob, FileJobMsg, FromWorker, ToWorker } from './pool-protocol.js';
import { trace } from './trace.js';

trace('worker: modules loaded');

function views(job: BatchJob): [Uint8Array, Uint8Array] {
  return [
    new Uint8Array(job.buffer, job.inOffset, job.inLength),
    new Uint8Array(job.buffer, job.outOffset, job.outCapacity),
  ];
}

/** One handler per message type: a type added to ToWorker without a handler fails to compile. */
interface Handlers extends Record<ToWorker['type'], (job: never) => FromWorker> {
  readonly seal: (job: BatchJob) => FromWorker;
  readonly open: (job: BatchJob) => FromWorker;
  readonly file: (job: FileJobMsg) => FromWorker;
}

const handlers: Handlers = {
  seal: (job) => {
    const [input, output] = views(job);
    const length = sealBatch(job.key, job.counter, job.final, input, output);
    collectChunkGarbage(job.inLength);
    return { type: 'result', id: job.id, result: { ok: true, length } };
  },
  open: (job) => {
    const [input, output] = views(job);
    const result = openBatch(job.key, job.counter, job.final, input, output);
    collectChunkGarbage(job.inLength);
    return { type: 'result', id: job.id, result };
  },
  file: (job) => ({ type: 'file-result', id: job.id, failure: runFileBatches(job) }),
};

const port = parentPort;
if (!port) throw new Error('chunk-worker.js must run as a worker thread');
port.on('message', (msg: ToWorker) => {
  let reply: FromWorker;
  try {
    reply = (handlers[msg.type] as (m: ToWorker) => FromWorker)(msg);
  } catch (err) {
    reply = { type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
