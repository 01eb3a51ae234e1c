/**
 * docs/protocol.md "Framing and limits": the line framer every stream
 * channel uses. Work is counted (bytes scanned), never timed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { streamChannel } from '../../src/protocol/channel.js';
import { MAX_FRAME_EXECUTION, validateWorkerToMaster, type MasterToWorker, type WorkerToMaster } from '../../src/protocol/execution.js';
import { LineFramer } from '../../src/protocol/framer.js';
import { ProtocolError } from '../../src/protocol/protocol-error.js';

const KIB = 1024;

describe('"Framing and limits": the line framer', () => {
  test('frames split over one-byte chunks come out whole, and each byte is scanned once', () => {
    const text = Buffer.from('{"type":"ready","pid":1,"host":"h"}\n{"type":"cancelled","id":"a[0]#1"}\n');
    const f = new LineFramer(64 * KIB);
    const frames: string[] = [];
    for (const b of text) for (const fr of f.push(Buffer.from([b]))) frames.push(fr.toString());
    assert.deepEqual(frames, ['{"type":"ready","pid":1,"host":"h"}', '{"type":"cancelled","id":"a[0]#1"}']);
    assert.equal(f.scanned, text.length);
  });

  test('10^5 one-byte chunks of one frame are scanned linearly: bytes scanned equal bytes received', () => {
    const n = 100_000;
    const f = new LineFramer(1024 * KIB);
    const one = Buffer.from('x');
    for (let i = 0; i < n; i++) assert.deepEqual(f.push(one), []);
    const [frame] = f.push(Buffer.from('\n'));
    assert.equal(frame?.length, n);
    assert.equal(f.scanned, n + 1, 'no byte was scanned twice (the old channel re-scanned the whole pending buffer per chunk)');
  });

  test('an 8 MiB line without a newline is refused as soon as it passes the limit, not when it ends', () => {
    const limit = 64 * KIB;
    const f = new LineFramer(limit, 'provisioning port');
    const chunk = Buffer.alloc(16 * KIB, 0x61);
    let fed = 0;
    let err: unknown = null;
    while (fed < 8 * 1024 * KIB) {
      try {
        f.push(chunk);
      } catch (e) {
        err = e;
        break;
      }
      fed += chunk.length;
    }
    assert.ok(err instanceof ProtocolError && err.reason === 'frame-too-large', String(err));
    assert.match((err as Error).message, /more than 65536 bytes on the provisioning port/);
    assert.ok(fed <= limit, `refused after ${fed} bytes, within one chunk past the limit`);
    assert.ok(f.scanned <= limit + chunk.length, 'bytes scanned stay bounded by the limit');
  });

  test('a frame of exactly the limit is accepted; one byte more is refused, newline or not', () => {
    const f = new LineFramer(10);
    assert.deepEqual(f.push(Buffer.from('0123456789\n')).map(String), ['0123456789']);
    assert.throws(() => f.push(Buffer.from('0123456789A\n')), (e: unknown) => e instanceof ProtocolError && e.reason === 'frame-too-large');
  });

  test('a stream channel closes at once on an oversized line and reads nothing more from that stream', async () => {
    const input = new PassThrough();
    const refused: ProtocolError[] = [];
    const ch = streamChannel<MasterToWorker, WorkerToMaster>(input, new PassThrough(), { validate: validateWorkerToMaster, maxFrame: 1024, onRefuse: (e) => refused.push(e) });
    const messages: unknown[] = [];
    ch.onMessage((m) => messages.push(m));
    const closed = new Promise<string>((resolve) => ch.onClose(resolve));
    input.write(Buffer.alloc(4096, 0x61));
    assert.match(await closed, /protocol error \(frame-too-large\)/);
    assert.equal(refused.length, 1);
    assert.ok(input.destroyed, 'the input stream was destroyed: nothing more is read');
    assert.deepEqual(messages, []);
  });

  test('the execution channel limit is written in docs/protocol.md', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
    assert.match(doc, /## Framing and limits/);
    assert.ok(doc.includes(`${MAX_FRAME_EXECUTION / 1024 / 1024} MiB`), 'the execution channel limit in MiB');
  });
});
