/** A chunk pool worker: seals or opens batches in place in shared memory. */
import { parentPort } from 'node:worker_threads';
import { collectChunkGarbage } from './gc.js';
import { openBatch, sealBatch, type BatchResult } from './stream.js';
import type { BatchJob, FromWorker, ToWorker } from './pool-protocol.js';

function views(job: BatchJob): [Uint8Array, Uint8Array] {
  return [
    new Uint8Array(job.buffer, job.inOffset, job.inLength),
    new Uint8Array(job.buffer, job.outOffset, job.outCapacity),
  ];
}

const handlers: Record<ToWorker['type'], (job: BatchJob) => BatchResult> = {
  seal: (job) => {
    const [input, output] = views(job);
    return { ok: true, length: sealBatch(job.key, job.counter, job.final, input, output) };
  },
  open: (job) => {
    const [input, output] = views(job);
    return openBatch(job.key, job.counter, job.final, input, output);
  },
};

const port = parentPort;
if (!port) throw new Error('chunk-worker.js must run as a worker thread');
port.on('message', (msg: ToWorker) => {
  let reply: FromWorker;
  try {
    reply = { type: 'result', id: msg.id, result: handlers[msg.type](msg) };
  } catch (err) {
    reply = { type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
  collectChunkGarbage(msg.inLength);
});
